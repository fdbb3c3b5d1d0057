using System.Net;
using Tether.Hosting;
using Tether.Liveness;
using Tether.Remoting;
using Tether.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Tether.Functional.Tests.Remoting;

/// <summary>Runs alone: it reads process-wide counters that other tests' sessions would move.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RemotingCountersSerial
{
    public const string Name = "RemotingCounters";
}

[Collection(RemotingCountersSerial.Name)]
public sealed class CycleTests(ITestOutputHelper output)
{
    private const int Cycles = 10_000;

    [Fact]
    public async Task TenThousandConnectCallDisconnectCyclesLeaveNothingBehind()
    {
        await Eventually.TrueAsync(() => RemotingCounters.Sessions.Value == 0, "sessions of earlier tests to end", 30_000);
        var heartbeat = LivenessHeartbeat.Shared;
        var registeredBefore = heartbeat.Count;
        var status = new BuildStatus();
        var root = new DisconnectTests.CompositeRoot(new Calculator(), status);
        await using var server = TetherServer.Start(new TetherServerOptions { Root = root });
        var clientOptions = new RemotingOptions();
        clientOptions.Types.AddRemoteCache<BuildStatusReplica>("BuildStatus");
        var started = Environment.TickCount64;
        for (var i = 0; i < Cycles; i++)
        {
            var session = TetherSession.Start(await TetherConnector.ConnectAsync(server.LocalEndPoint), clientOptions);
            var child = await session.Root.CallAsync<RemoteReference>("Child", "c");
            Assert.Equal("BuildStatus:c", await child.CallAsync<string>("Name"));
            await session.Root.CallAsync<BuildStatusReplica>("Status"); // an observer on the server, a replica here
            child.NotifyOnDisconnect(_ => { });
            await session.DisposeAsync();
        }

        var elapsed = TimeSpan.FromMilliseconds(Environment.TickCount64 - started);
        output.WriteLine($"{Cycles} cycles in {elapsed.TotalSeconds:0.0} s ({elapsed.TotalMilliseconds * 1000 / Cycles:0} µs each)");

        await Eventually.TrueAsync(() => server.Sessions.Count == 0 && RemotingCounters.Sessions.Value == 0, "every session to end", 30_000);
        Assert.Equal(Cycles, status.StoppedCount);
        Assert.Equal(0, status.ObserverCount);
        Assert.Equal(0, RemotingCounters.Exports.Value);
        Assert.Equal(0, RemotingCounters.Imports.Value);
        Assert.Equal(0, RemotingCounters.OutstandingCalls.Value);
        Assert.Equal(0, RemotingCounters.IncomingCalls.Value);
        Assert.Equal(0, RemotingCounters.Observers.Value);
        Assert.Equal(0, RemotingCounters.Replicas.Value);
        Assert.Equal(0, RemotingCounters.Notifiers.Value);
        await Eventually.TrueAsync(() => heartbeat.Count == registeredBefore, "every connection's liveness registration (its 'timer') to go");
    }
}
