using Tether.Functional.Tests.Infrastructure;
using Tether.Pb.Jelly;
using Tether.Pb.Protocol;

namespace Tether.Functional.Tests.Pb;

/// <summary>A Twisted Cacheable (Scripts/pb_server.py's STATUS) observed through Tether replicas.</summary>
public sealed class PbCacheInteropTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    [SkippableFact]
    public async Task A_Python_cacheable_replicates_with_1000_updates_in_order_and_release_stops_the_observer_once()
    {
        await using var server = await TwistedPbServer.StartAsync("root");
        await using var connection = await PbConnection.ConnectAsync(server.EndPoint, Options());

        var replica = Assert.IsType<StatusReplica>(await connection.Root.CallRemoteAsync("status").WaitAsync(Bound));
        Assert.Equal(1000L, await connection.Root.CallRemoteAsync("setStatus", 1, 1000).WaitAsync(Bound));
        Assert.Equal(Enumerable.Range(0, 1001).Select(v => (long)v), replica.Values);

        // Sent again: the same replica, and one more decache owed.
        Assert.Same(replica, await connection.Root.CallRemoteAsync("status").WaitAsync(Bound));
        Assert.Equal(1, connection.ReplicaCount);

        connection.ReleaseReplica(replica);
        var stopped = await server.Process.WaitForEventAsync("stoppedObserving", Bound);
        Assert.Equal(0, stopped["observers"]!.GetValue<int>());
        await connection.Root.CallRemoteAsync("echo", "barrier").WaitAsync(Bound);
        Assert.Equal(0, connection.ReplicaCount);
        Assert.Single(server.Process.Events, e => JsonLinesProcess.EventNameOf(e) == "stoppedObserving");
    }

    [SkippableFact]
    public async Task Disconnecting_stops_the_Python_observer()
    {
        await using var server = await TwistedPbServer.StartAsync("root");
        var connection = await PbConnection.ConnectAsync(server.EndPoint, Options());
        await connection.Root.CallRemoteAsync("status").WaitAsync(Bound);
        await server.Process.WaitForEventAsync("observing", Bound);

        await connection.DisposeAsync();

        await server.Process.WaitForEventAsync("stoppedObserving", Bound);
    }

    private static PbConnectionOptions Options() => new()
    {
        Registry = new PbTypeRegistry().RegisterCacheable("example.Status"),
        ReplicaFactory = cache => new StatusReplica((long)((Dictionary<object, object?>)cache.State!)["value"]!),
    };

    /// <summary>The .NET replica: its initial value and each observe_update, in arrival order.</summary>
    private sealed class StatusReplica(long initial) : IPbCallable
    {
        private readonly List<long> _values = [initial];

        public IReadOnlyList<long> Values
        {
            get
            {
                lock (_values)
                {
                    return [.. _values];
                }
            }
        }

        public Task<object?> CallAsync(string method, IReadOnlyList<object?> arguments, IReadOnlyDictionary<string, object?> keywordArguments, CancellationToken cancellationToken)
        {
            lock (_values)
            {
                _values.Add((long)arguments[0]!);
            }

            return Task.FromResult<object?>(null);
        }
    }
}
