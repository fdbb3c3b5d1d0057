using Microsoft.Extensions.Time.Testing;
using Tether.Liveness;
using Tether.Pb;
using Tether.Pb.Jelly;
using Tether.Pb.Protocol;

namespace Tether.Tests.Pb;

/// <summary>Tether's liveness engine on a PB connection, on a fake clock, against a scripted peer.</summary>
public sealed class PbLivenessTests : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(250);
    private readonly FakeTimeProvider _time = new();
    private readonly LivenessHeartbeat _heartbeat;

    public PbLivenessTests() => _heartbeat = new LivenessHeartbeat(Tick, _time, autoStart: false);

    public void Dispose() => _heartbeat.Dispose();

    [Fact]
    public async Task An_idle_connection_pings_with_a_call_any_PB_peer_answers_and_a_silent_peer_is_declared_dead_at_the_bound()
    {
        var options = new PbConnectionOptions
        {
            Liveness = new PbLivenessOptions { KeepaliveInterval = TimeSpan.FromSeconds(1), DeadTimeout = TimeSpan.FromSeconds(4), Heartbeat = _heartbeat },
        };
        await using var server = await PbConnectionTests.ScriptedServer.StartAsync();
        var (connection, peer) = await PbConnectionTests.ConnectAsync(server, options);
        await using var _ = connection;

        Advance(TimeSpan.FromSeconds(1.25));
        var ping = Assert.IsType<PbCall>(PbMessageCodec.Decode(await peer.ReadAsync()));
        Assert.Equal((PbObjectId.FromName("tether.ping"), "ping"), (ping.Target, ping.Method));

        // Twisted's answer to an object it does not export; it counts as a round trip.
        var invalid = new JellySerializer().Jelly(new PbFailure("twisted.spread.pb.Error", "Invalid Object ID"));
        await peer.SendAsync(PbMessageCodec.Encode(new PbError(ping.RequestId, invalid)));
        await WaitUntilAsync(() => connection.SmoothedRoundTripTime is not null);

        // Now silence: pings go out, nothing comes back. Dead at the bound, not before.
        Advance(TimeSpan.FromSeconds(3.5));
        Assert.False(connection.Closed.IsCompleted);
        Advance(TimeSpan.FromSeconds(1));
        var dead = Assert.IsType<PbDeadPeerException>(await connection.Closed.WaitAsync(Bound));
        Assert.InRange(dead.Silence, TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(4) + Tick);
    }

    [Fact]
    public async Task Any_inbound_byte_keeps_the_peer_alive_half_a_message_included()
    {
        var options = new PbConnectionOptions
        {
            Liveness = new PbLivenessOptions { KeepaliveInterval = TimeSpan.FromSeconds(1), DeadTimeout = TimeSpan.FromSeconds(4), Heartbeat = _heartbeat },
        };
        await using var server = await PbConnectionTests.ScriptedServer.StartAsync();
        var (connection, peer) = await PbConnectionTests.ConnectAsync(server, options);
        await using var _ = connection;

        // A 100-byte string announced, then one byte every 1.5 s (dead timeout 4 s): never a whole message, always alive.
        await peer.SendRawAsync([100, 0x82]);
        for (var i = 0; i < 8; i++)
        {
            Advance(TimeSpan.FromSeconds(1.5));
            await peer.SendRawAsync([(byte)'x']);
            await Task.Delay(50);
        }

        Assert.False(connection.Closed.IsCompleted);
    }

    [Theory]
    [InlineData(0, 45)]
    [InlineData(15, 15)]
    public void Settings_that_cannot_work_are_refused(int keepaliveSeconds, int deadSeconds)
    {
        var options = new PbLivenessOptions { KeepaliveInterval = TimeSpan.FromSeconds(keepaliveSeconds), DeadTimeout = TimeSpan.FromSeconds(deadSeconds) };
        Assert.ThrowsAny<ArgumentException>(options.Validate);
    }

    /// <summary>Moves the fake clock in tick-sized steps, running the heartbeat at each, as the real timer would.</summary>
    private void Advance(TimeSpan duration)
    {
        for (var elapsed = TimeSpan.Zero; elapsed < duration; elapsed += Tick)
        {
            _time.Advance(Tick);
            _heartbeat.Tick();
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + Bound;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met in time");
            await Task.Delay(10);
        }
    }
}
