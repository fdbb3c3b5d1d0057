using Tether.Remoting;
using Tether.Tests.Infrastructure;

namespace Tether.Functional.Tests.Remoting;

public interface IStatusBoard : IReferenceable
{
    Task<BuildStatusReplica> GetStatusAsync();

    Task<bool> SameReplicaTwiceAsync();

    Task PushAsync(int count);
}

/// <summary>The owner's side: a build status that tells every observer about each step.</summary>
public sealed class BuildStatus : Cacheable
{
    private readonly List<CacheObserver> _observers = [];

    public override string CacheName => "BuildStatus";

    private int _stopped;

    public int StoppedCount => Volatile.Read(ref _stopped);

    public int ObserverCount
    {
        get
        {
            lock (_observers)
            {
                return _observers.Count;
            }
        }
    }

    public async Task PushStepsAsync(int count)
    {
        CacheObserver[] observers;
        lock (_observers)
        {
            observers = [.. _observers];
        }

        for (var i = 1; i <= count; i++)
        {
            foreach (var observer in observers)
            {
                await observer.CallRemoteAsync("Step", i);
            }
        }
    }

    protected internal override object? GetStateToCacheAndObserve(TetherSession session, CacheObserver observer)
    {
        lock (_observers)
        {
            _observers.Add(observer);
        }

        return new Dictionary<string, object?> { ["name"] = "nightly", ["step"] = 0 };
    }

    protected internal override void StoppedObserving(TetherSession session, CacheObserver observer)
    {
        Interlocked.Increment(ref _stopped);
        lock (_observers)
        {
            _observers.Remove(observer);
        }
    }
}

/// <summary>The receiving side's replica.</summary>
public sealed class BuildStatusReplica : RemoteCache<Dictionary<string, object?>>
{
    private readonly List<int> _steps = [];

    public string Name { get; private set; } = string.Empty;

    public TaskCompletionSource<bool> Reached { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public int Expected { get; set; }

    public IReadOnlyList<int> Steps
    {
        get
        {
            lock (_steps)
            {
                return [.. _steps];
            }
        }
    }

    public void ObserveStep(int step)
    {
        lock (_steps)
        {
            _steps.Add(step);
            if (_steps.Count == Expected)
            {
                Reached.TrySetResult(true);
            }
        }
    }

    protected override void Initialize(Dictionary<string, object?> state) => Name = (string)state["name"]!;
}

internal sealed class StatusBoard(BuildStatus status) : IStatusBoard
{
    public Task<BuildStatusReplica> GetStatusAsync() => Task.FromResult<BuildStatusReplica>(null!);

    public Task<bool> SameReplicaTwiceAsync() => Task.FromResult(true);

    public Task PushAsync(int count) => status.PushStepsAsync(count);

    [RemoteName("Status")]
    public BuildStatus Status() => status;

    [RemoteName("StatusTwice")]
    public object[] StatusTwice() => [status, status];
}

public sealed class CacheTests
{
    private static void ReplicaSide(RemotingOptions options) => options.Types.AddRemoteCache<BuildStatusReplica>("BuildStatus");

    [Fact]
    public async Task ObserverPushesAThousandUpdatesInOrder()
    {
        var status = new BuildStatus();
        await using var pair = await LoopbackSessions.StartAsync(new StatusBoard(status), configure: null, configureClient: ReplicaSide);
        var replica = await pair.Client.Root.CallAsync<BuildStatusReplica>("Status");
        replica.Expected = 1000;
        Assert.Equal("nightly", replica.Name);
        await pair.Client.Root.CallAsync("Push", 1000);
        await replica.Reached.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(Enumerable.Range(1, 1000), replica.Steps);
    }

    [Fact]
    public async Task SameCacheableSentTwiceIsOneReplica()
    {
        var status = new BuildStatus();
        await using var pair = await LoopbackSessions.StartAsync(new StatusBoard(status), configure: null, configureClient: ReplicaSide);
        var both = await pair.Client.Root.CallAsync<object[]>("StatusTwice");
        Assert.Same(both[0], both[1]);
        var again = await pair.Client.Root.CallAsync<BuildStatusReplica>("Status");
        Assert.Same(both[0], again);
        Assert.Equal(1, status.ObserverCount);
        Assert.Equal(1, pair.Client.GetStatistics().Replicas);
    }

    [Fact]
    public async Task ReleasingTheReplicaStopsObservingExactlyOnce()
    {
        var status = new BuildStatus();
        await using var pair = await LoopbackSessions.StartAsync(new StatusBoard(status), configure: null, configureClient: ReplicaSide);
        var replica = await pair.Client.Root.CallAsync<BuildStatusReplica>("Status");
        replica.Dispose();
        replica.Dispose();
        await Eventually.TrueAsync(() => status.StoppedCount == 1, "StoppedObserving after release");
        Assert.Equal(0, pair.Server.GetStatistics().Observers);

        // The connection ending later does not stop it again.
        await pair.Client.DisposeAsync();
        await pair.Server.Disconnected.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(1, status.StoppedCount);
    }

    [Fact]
    public async Task ReplicaWithoutARegisteredClassIsRefusedAndTheOwnerStopsObserving()
    {
        var status = new BuildStatus();
        await using var pair = await LoopbackSessions.StartAsync(new StatusBoard(status));
        var error = await Assert.ThrowsAsync<Tether.Protocol.TetherSerializationException>(() => pair.Client.Root.CallAsync<object>("Status"));
        Assert.Contains("no replica class registered", error.Message, StringComparison.Ordinal);
        await Eventually.TrueAsync(() => status.StoppedCount == 1, "the owner to stop observing a refused replica");
        Assert.Equal(3, await pair.Client.Root.CallAsync<int>("Push", 0).ContinueWith(_ => 3));
    }
}
