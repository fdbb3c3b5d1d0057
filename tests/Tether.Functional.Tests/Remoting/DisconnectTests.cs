using Tether.Remoting;
using Tether.Tests.Infrastructure;

namespace Tether.Functional.Tests.Remoting;

public sealed class DisconnectTests
{
    [Fact]
    public async Task PeerLostMidCallFailsTheCallOnceStopsEveryObserverOnceAndRunsEveryNotifierOnce()
    {
        var calculator = new Calculator();
        var status = new BuildStatus();
        var server = new CompositeRoot(calculator, status);
        await using var pair = await LoopbackSessions.StartAsync(server, configure: null, configureClient: o => o.Types.AddRemoteCache<BuildStatusReplica>("BuildStatus"));
        var replicas = new List<BuildStatusReplica>();
        replicas.Add(await pair.Client.Root.CallAsync<BuildStatusReplica>("Status"));
        var child = await pair.Client.Root.CallAsync<RemoteReference>("Child", "c");
        var notified = 0;
        Disconnection? seen = null;
        child.NotifyOnDisconnect(d =>
        {
            Interlocked.Increment(ref notified);
            seen = d;
        });
        pair.Client.Root.NotifyOnDisconnect(_ => Interlocked.Increment(ref notified));
        var pending = pair.Client.Root.CallAsync<int>("WaitForCancel");
        await calculator.Entered.Task.WaitAsync(TimeSpan.FromSeconds(10));

        pair.Server.Abort("killed"); // the server end vanishes: RST

        var lost = await Assert.ThrowsAsync<ConnectionLostException>(() => pending);
        Assert.Equal(DisconnectReason.PeerReset, lost.Reason);
        await pair.Client.Disconnected.WaitAsync(TimeSpan.FromSeconds(10));
        await pair.Server.Disconnected.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(2, notified);
        Assert.Equal(DisconnectReason.PeerReset, seen!.Reason);
        Assert.Equal(1, status.StoppedCount);
        Assert.True(await calculator.CancellationSeen.Task.WaitAsync(TimeSpan.FromSeconds(10)), "the running call's token fires on disconnect");

        // The method signals before it rethrows; the call leaves the server's table when its task has faulted.
        await Eventually.TrueAsync(() => pair.Server.GetStatistics().IncomingCalls == 0, "the cancelled call to finish on the server");

        // Calls on a dead reference fail at once, as a faulted task.
        var late = child.CallAsync<string>("Name");
        Assert.True(late.IsFaulted);
        Assert.IsType<ConnectionLostException>(late.Exception!.InnerException);
        Assert.Equal(new RemotingStatistics(0, 0, 0, 0, 0, 0, 0), pair.Client.GetStatistics());
        Assert.Equal(new RemotingStatistics(0, 0, 0, 0, 0, 0, 0), pair.Server.GetStatistics());
        GC.KeepAlive(replicas);
    }

    [Fact]
    public async Task NotifierRegisteredAfterTheLossRunsOnceAndCancelledOnesNever()
    {
        await using var pair = await LoopbackSessions.StartAsync(new Calculator());
        var cancelled = 0;
        pair.Client.Root.NotifyOnDisconnect(_ => Interlocked.Increment(ref cancelled)).Dispose();
        await pair.Server.DisposeAsync();
        await pair.Client.Disconnected.WaitAsync(TimeSpan.FromSeconds(10));
        var late = new TaskCompletionSource<Disconnection>();
        pair.Client.Root.NotifyOnDisconnect(d => late.TrySetResult(d));
        Assert.Equal(DisconnectReason.PeerClosed, (await late.Task.WaitAsync(TimeSpan.FromSeconds(10))).Reason);
        Assert.Equal(0, cancelled);
    }

    internal sealed class CompositeRoot(Calculator calculator, BuildStatus status) : IReferenceable
    {
        [RemoteName("Status")]
        public BuildStatus Status() => status;

        [RemoteName("Child")]
        public IChild Child(string name) => new Child($"{status.CacheName}:{name}");

        [RemoteName("WaitForCancel")]
        public Task<int> WaitForCancelAsync(CancellationToken token) => calculator.WaitForCancelAsync(token);
    }
}
