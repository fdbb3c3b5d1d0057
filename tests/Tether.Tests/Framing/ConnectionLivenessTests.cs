using Microsoft.Extensions.Time.Testing;
using Tether.Framing;
using Tether.Liveness;
using Tether.Tests.Infrastructure;

namespace Tether.Tests.Framing;

/// <summary>The liveness engine wired into a real connection, on a fake clock.</summary>
public sealed class ConnectionLivenessTests : IDisposable
{
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(250);
    private readonly FakeTimeProvider _time = new();
    private readonly LivenessHeartbeat _heartbeat;

    public ConnectionLivenessTests()
    {
        _heartbeat = new LivenessHeartbeat(Tick, _time, autoStart: false);
    }

    public void Dispose() => _heartbeat.Dispose();

    [Fact]
    public async Task Single_bytes_of_an_unfinished_frame_keep_the_peer_alive_and_silence_kills_it_at_the_dead_timeout()
    {
        var (ours, _) = InMemoryTransport.CreatePair();
        var establishing = TetherConnection.EstablishAsync(ours, ConnectionRole.Listener, ConnectionPair.Options(_heartbeat));
        await ours.InjectAsync(Wire.Preamble(ConnectionRole.Connector));
        var connection = await establishing;

        // A 64 KiB DATA frame trickles in one byte every 8 s (dead timeout 10 s): never a whole frame, always alive.
        var frame = Wire.Frame(FrameType.Data, 0, new byte[64 * 1024], FrameFlags.EndOfMessage);
        for (var i = 0; i < 30; i++)
        {
            var before = connection.BytesReceived;
            await ours.InjectAsync(frame.AsMemory(i, 1));
            await Eventually.TrueAsync(() => connection.BytesReceived > before, "the byte to be read");
            AdvanceTicks(32); // 8 s
            Assert.False(connection.Disconnected.IsCompleted, $"declared dead after {i + 1} bytes");
        }

        // Now nothing: dead at the first tick at or after 10 s of silence (8 s have passed already).
        AdvanceTicks(7);
        Assert.False(connection.Disconnected.IsCompleted);
        AdvanceTicks(1);
        var disconnection = await connection.Disconnected.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(DisconnectReason.DeadPeer, disconnection.Reason);
        Assert.Equal(TimeSpan.FromSeconds(10), disconnection.Silence);
        await connection.DisposeAsync();
    }

    [Fact]
    public async Task An_idle_pair_exchanges_pings_and_stays_up()
    {
        await using var pair = await ConnectionPair.CreateAsync(o => o.Heartbeat = _heartbeat);
        for (var second = 0; second < 120; second++)
        {
            var connectorSent = pair.Connector.BytesSent;
            var listenerSent = pair.Listener.BytesSent;
            AdvanceTicks(4);

            // Each side's outbound was idle for a second, so each wrote a PING (or a PONG); let the writes and the
            // reads happen before the clock moves on.
            await Eventually.TrueAsync(() => pair.Connector.BytesSent > connectorSent && pair.Listener.BytesSent > listenerSent, "both sides to talk");
            await Eventually.TrueAsync(
                () => pair.Listener.BytesReceived >= pair.Connector.BytesSent && pair.Connector.BytesReceived >= pair.Listener.BytesSent,
                "both sides to read");
        }

        Assert.False(pair.Connector.Disconnected.IsCompleted);
        Assert.False(pair.Listener.Disconnected.IsCompleted);
        Assert.NotNull(pair.Connector.Liveness.SmoothedRoundTripTime);
    }

    [Fact]
    public async Task In_an_idle_pair_the_connector_pings_and_the_listener_only_answers()
    {
        await using var pair = await ConnectionPair.CreateAsync(o => o.Heartbeat = _heartbeat);
        for (var second = 0; second < 30; second++)
        {
            var connectorSent = pair.Connector.BytesSent;
            AdvanceTicks(4);
            await Eventually.TrueAsync(() => pair.Connector.BytesSent > connectorSent, "the connector's PING");
            await Eventually.TrueAsync(
                () => pair.Listener.BytesReceived >= pair.Connector.BytesSent && pair.Connector.BytesReceived >= pair.Listener.BytesSent,
                "both sides to read");
        }

        // Both keepalive clocks expire in the same tick here (one heartbeat drives both ends), the worst case for the
        // race: without the listener's deferral each second would carry two PINGs and two PONGs.
        var connector = FrameLog.Decode(pair.ConnectorTransport.SentBytes()).Frames;
        var listener = FrameLog.Decode(pair.ListenerTransport.SentBytes()).Frames;
        var pings = connector.Count(f => f.Header.Type == FrameType.Ping);
        Assert.InRange(pings, 29, 31);
        Assert.DoesNotContain(listener, f => f.Header.Type == FrameType.Ping);
        Assert.Equal(pings, listener.Count(f => f.Header.Type == FrameType.Pong));
        Assert.DoesNotContain(connector, f => f.Header.Type == FrameType.Pong);
        Assert.False(pair.Connector.Disconnected.IsCompleted);
        Assert.False(pair.Listener.Disconnected.IsCompleted);
    }

    private void AdvanceTicks(int ticks)
    {
        for (var i = 0; i < ticks; i++)
        {
            _time.Advance(Tick);
            _heartbeat.Tick();
        }
    }
}
