using Microsoft.Extensions.Time.Testing;
using Tether.Framing;
using Tether.Liveness;
using Tether.Tests.Infrastructure;

namespace Tether.Tests.Framing;

/// <summary><see cref="TetherConnection.ProbePeerAsync"/> on a fake clock: what counts as an answer, and what does not.</summary>
public sealed class ConnectionProbeTests
{
    private static readonly TimeSpan SafetyNet = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task A_live_peer_answers_a_probe_at_once_without_the_clock_moving()
    {
        await using var pair = await ConnectionPair.CreateAsync();
        var first = pair.Connector.ProbePeerAsync(TimeSpan.FromSeconds(1));
        var second = pair.Connector.ProbePeerAsync(TimeSpan.FromSeconds(1));

        Assert.True(await first.WaitAsync(SafetyNet));
        Assert.True(await second.WaitAsync(SafetyNet));
        Assert.Contains(FrameLog.Decode(pair.ConnectorTransport.SentBytes()).Frames, f => f.Header.Type == FrameType.Ping);
    }

    [Fact]
    public async Task Any_byte_from_the_peer_after_the_probe_is_an_answer_even_half_a_frame()
    {
        var time = new FakeTimeProvider();
        using var heartbeat = new LivenessHeartbeat(TimeSpan.FromMilliseconds(250), time, autoStart: false);
        var (ours, _) = InMemoryTransport.CreatePair();
        var establishing = TetherConnection.EstablishAsync(ours, ConnectionRole.Listener, ConnectionPair.Options(heartbeat));
        await ours.InjectAsync(Wire.Preamble(ConnectionRole.Connector));
        var connection = await establishing;
        try
        {
            var probe = connection.ProbePeerAsync(TimeSpan.FromSeconds(5));
            await Eventually.TrueAsync(() => FrameLog.Decode(ours.SentBytes()).Frames.Any(f => f.Header.Type == FrameType.Ping), "the probe's PING to go out");
            Assert.False(probe.IsCompleted);

            // The first byte of a CREDIT frame: no PONG, not even a whole frame, but the peer is talking.
            await ours.InjectAsync(Wire.Credit(0, 100).AsMemory(0, 1));
            Assert.True(await probe.WaitAsync(SafetyNet));
        }
        finally
        {
            // Nobody plays the peer's side of an orderly close, and the fake clock would never time it out.
            connection.Abort();
            await connection.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_probe_that_hears_nothing_returns_false_at_its_timeout_and_leaves_the_connection_up()
    {
        await using var pair = await ConnectionPair.CreateAsync();
        pair.ListenerTransport.PauseSends(); // the way back is stuck, as on a half-open connection
        var probe = pair.Connector.ProbePeerAsync(TimeSpan.FromSeconds(2));
        await Eventually.TrueAsync(() => pair.ListenerTransport.WaitingSends > 0, "the listener's PONG to be held");

        pair.Time.Advance(TimeSpan.FromMilliseconds(1999));
        Assert.False(probe.IsCompleted);
        pair.Time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.False(await probe.WaitAsync(SafetyNet));
        Assert.False(pair.Connector.Disconnected.IsCompleted);
        pair.ListenerTransport.ResumeSends();
    }

    [Fact]
    public async Task Probing_a_connection_that_is_gone_returns_false_without_an_exception()
    {
        await using var pair = await ConnectionPair.CreateAsync();
        pair.Connector.Abort();
        var probe = pair.Connector.ProbePeerAsync(TimeSpan.FromSeconds(1));
        Assert.True(probe.IsCompleted);
        Assert.False(await probe);
    }

    [Fact]
    public async Task A_probe_in_flight_returns_false_when_the_peer_is_declared_dead()
    {
        await using var pair = await ConnectionPair.CreateAsync();
        pair.ListenerTransport.PauseSends();
        var probe = pair.Connector.ProbePeerAsync(TimeSpan.FromMinutes(5));

        pair.AdvanceTicks(40); // the dead timeout is 10 s
        Assert.Equal(DisconnectReason.DeadPeer, (await pair.Connector.Disconnected.WaitAsync(SafetyNet)).Reason);
        Assert.False(await probe.WaitAsync(SafetyNet));
        pair.ListenerTransport.ResumeSends();
    }

    [Fact]
    public async Task A_cancelled_probe_is_cancelled_and_a_bad_timeout_is_refused()
    {
        await using var pair = await ConnectionPair.CreateAsync();
        pair.ListenerTransport.PauseSends();
        using var cancel = new CancellationTokenSource();
        var probe = pair.Connector.ProbePeerAsync(TimeSpan.FromMinutes(1), cancel.Token);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => probe.WaitAsync(SafetyNet));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => pair.Connector.ProbePeerAsync(TimeSpan.Zero));
        pair.ListenerTransport.ResumeSends();
    }

    [Fact]
    public async Task The_probe_pong_is_a_true_round_trip_sample_and_keepalives_keep_their_schedule()
    {
        await using var pair = await ConnectionPair.CreateAsync();
        pair.ListenerTransport.PauseSends();
        var probe = pair.Connector.ProbePeerAsync(TimeSpan.FromSeconds(5));
        await Eventually.TrueAsync(() => pair.ListenerTransport.WaitingSends > 0, "the listener's PONG to be held");
        pair.Time.Advance(TimeSpan.FromMilliseconds(300));
        pair.ListenerTransport.ResumeSends();
        Assert.True(await probe.WaitAsync(SafetyNet));

        // The PONG echoes the PING's write time: the sample is the 300 ms the answer took, nothing else.
        await Eventually.TrueAsync(() => pair.Connector.Liveness.SmoothedRoundTripTime is not null, "the round-trip sample");
        Assert.Equal(TimeSpan.FromMilliseconds(300), pair.Connector.Liveness.SmoothedRoundTripTime);

        // The next keepalive comes after the usual interval of outbound silence (1 s), counted from the probe's PING.
        var pings = PingsSentBy(pair.ConnectorTransport);
        pair.AdvanceTicks(4);
        await Eventually.TrueAsync(() => PingsSentBy(pair.ConnectorTransport) == pings + 1, "the keepalive");
    }

    private static int PingsSentBy(InMemoryTransport transport) =>
        FrameLog.Decode(transport.SentBytes()).Frames.Count(f => f.Header.Type == FrameType.Ping);
}
