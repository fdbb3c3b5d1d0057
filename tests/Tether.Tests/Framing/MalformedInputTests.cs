using Microsoft.Extensions.Time.Testing;
using Tether.Framing;
using Tether.Liveness;
using Tether.Tests.Infrastructure;

namespace Tether.Tests.Framing;

/// <summary>
/// A hand-played peer sends broken bytes; each case must end that connection with a typed reason and a clear detail,
/// never an unhandled exception, and never allocate by a length read from the wire.
/// </summary>
[Collection(nameof(AllocationSensitive))]
public sealed class MalformedInputTests : IDisposable
{
    private readonly FakeTimeProvider _time = new();
    private readonly LivenessHeartbeat _heartbeat;

    public MalformedInputTests()
    {
        _heartbeat = new LivenessHeartbeat(TimeSpan.FromMilliseconds(250), _time, autoStart: false);
    }

    public void Dispose() => _heartbeat.Dispose();

    public static TheoryData<string, byte[], DisconnectReason, string> Cases => new()
    {
        { "bad magic", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"u8.ToArray(), DisconnectReason.ProtocolViolation, "bad magic" },
        { "unsupported version", Wire.Preamble(ConnectionRole.Connector, version: 9), DisconnectReason.HandshakeFailed, "version 9" },
        { "same role", Wire.Preamble(ConnectionRole.Listener), DisconnectReason.HandshakeFailed, "both sides claim" },
        { "tiny frame limit", Wire.Preamble(ConnectionRole.Connector, maxFrame: 10), DisconnectReason.ProtocolViolation, "max frame payload 10" },
        { "oversized DATA length", Wire.Concat(Wire.Preamble(ConnectionRole.Connector), Wire.RawHeader(0xFFFF_FFFF, 0x01, 0, 1)), DisconnectReason.ProtocolViolation, "DATA length 4294967295 exceeds" },
        { "unknown frame type", Wire.Concat(Wire.Preamble(ConnectionRole.Connector), Wire.RawHeader(0, 0x7F, 0, 0)), DisconnectReason.ProtocolViolation, "unknown frame type 0x7f" },
        { "unknown flag", Wire.Concat(Wire.Preamble(ConnectionRole.Connector), Wire.RawHeader(1, 0x01, 0x80, 1), [0]), DisconnectReason.ProtocolViolation, "unknown flags 0x80" },
        { "PING of wrong length", Wire.Concat(Wire.Preamble(ConnectionRole.Connector), Wire.RawHeader(4, 0x03, 0, 0), [0, 0, 0, 0]), DisconnectReason.ProtocolViolation, "Ping length must be 8" },
        { "PING on a channel", Wire.Concat(Wire.Preamble(ConnectionRole.Connector), Wire.RawHeader(8, 0x03, 0, 5), new byte[8]), DisconnectReason.ProtocolViolation, "connection-level" },
        { "huge CLOSE", Wire.Concat(Wire.Preamble(ConnectionRole.Connector), Wire.RawHeader(100_000, 0x05, 0, 0)), DisconnectReason.ProtocolViolation, "CLOSE length 100000" },
        { "credit overflow", Wire.Concat(Wire.Preamble(ConnectionRole.Connector), Wire.Credit(0, 0x7FFF_0000)), DisconnectReason.ProtocolViolation, "credit overflow" },
        { "zero credit", Wire.Concat(Wire.Preamble(ConnectionRole.Connector), Wire.Credit(0, 0)), DisconnectReason.ProtocolViolation, "CREDIT of 0 bytes" },
        { "DATA beyond the window", Wire.Concat(Wire.Preamble(ConnectionRole.Connector), Enumerable.Range(0, 17).SelectMany(_ => Wire.Frame(FrameType.Data, 0, new byte[64 * 1024])).ToArray()), DisconnectReason.ProtocolViolation, "flow control violated" },
        { "DATA on a channel of our parity", Wire.Concat(Wire.Preamble(ConnectionRole.Connector), Wire.Frame(FrameType.Data, 2, [1], FrameFlags.EndOfMessage)), DisconnectReason.ProtocolViolation, "has not opened" },
        { "ABORT with payload", Wire.Concat(Wire.Preamble(ConnectionRole.Connector), Wire.Frame(FrameType.Data, 0, [1], FrameFlags.AbortMessage)), DisconnectReason.ProtocolViolation, "ABORT must be empty" },
        { "CHANNEL_CLOSE for an unknown channel", Wire.Concat(Wire.Preamble(ConnectionRole.Connector), Wire.Frame(FrameType.ChannelClose, 9, [])), DisconnectReason.ProtocolViolation, "not open" },
        { "truncated header", Wire.Concat(Wire.Preamble(ConnectionRole.Connector), [0, 0, 0]), DisconnectReason.ProtocolViolation, "inside a frame" },
        { "truncated payload", Wire.Concat(Wire.Preamble(ConnectionRole.Connector), Wire.RawHeader(100, 0x01, 0, 0), new byte[10]), DisconnectReason.ProtocolViolation, "inside a frame" },
        { "truncated handshake", "TET"u8.ToArray(), DisconnectReason.ProtocolViolation, "inside a frame" },
        { "closed before handshake", [], DisconnectReason.HandshakeFailed, "before completing the handshake" },
    };

    [Theory]
    [InlineData(DisconnectReason.DeadPeer, "the kernel timed the connection out", DisconnectReason.DeadPeer)]
    [InlineData(DisconnectReason.PeerReset, "connection reset (seen at end of stream)", DisconnectReason.PeerReset)]
    public async Task A_reset_or_kernel_timeout_that_cuts_a_frame_keeps_its_own_reason(DisconnectReason ending, string detail, DisconnectReason expected)
    {
        // Linux reports both as end of stream to a reader, wherever they fall: a frame cut short by them is not the
        // peer breaking the protocol (a kernel timeout on a slow link was once reported as a protocol violation).
        var disconnection = await EndAsync(Wire.Concat(Wire.Preamble(ConnectionRole.Connector), Wire.RawHeader(100, 0x01, 0, 0), new byte[10]), t => t.InjectAbnormalEndOfStream(ending, detail));
        Assert.Equal(expected, disconnection.Reason);
        Assert.Equal(detail, disconnection.Detail);
    }

    [Fact]
    public async Task A_reset_before_the_handshake_is_a_failed_handshake()
    {
        var disconnection = await EndAsync("TET"u8.ToArray(), t => t.InjectAbnormalEndOfStream(DisconnectReason.PeerReset, "connection reset (seen at end of stream)"));
        Assert.Equal(DisconnectReason.HandshakeFailed, disconnection.Reason);
        Assert.Contains("before completing the handshake", disconnection.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Malformed_input_ends_the_connection_with_a_typed_reason(string name, byte[] input, DisconnectReason expected, string detail)
    {
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var disconnection = await EndAsync(input, t => t.InjectEndOfStream());

        Assert.True(expected == disconnection.Reason, $"{name}: expected {expected}, got {disconnection}");
        Assert.Contains(detail, disconnection.Detail, StringComparison.OrdinalIgnoreCase);

        // Lengths of up to 4 GiB were claimed above; nothing near that was allocated.
        Assert.True(GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore < 8 * 1024 * 1024, $"{name}: allocated too much");
    }

    [Fact]
    public async Task A_protocol_violation_is_reported_to_the_peer_in_a_close_frame()
    {
        var (ours, _) = InMemoryTransport.CreatePair();
        var establishing = TetherConnection.EstablishAsync(ours, ConnectionRole.Listener, ConnectionPair.Options(_heartbeat));
        await ours.InjectAsync(Wire.Concat(Wire.Preamble(ConnectionRole.Connector), Wire.RawHeader(0, 0x7F, 0, 0)));

        // The violation may land before or after EstablishAsync returns; either way the peer is told why.
        await Assert.ThrowsAsync<ConnectionLostException>(async () =>
        {
            var connection = await establishing;
            await connection.DisposeAsync();
            throw new ConnectionLostException(await connection.Disconnected);
        });
        await Eventually.TrueAsync(() => FrameLog.Decode(ours.SentBytes()).Frames.Any(f => f.Header.Type == FrameType.Close), "a CLOSE frame");
        var close = FrameLog.Decode(ours.SentBytes()).Frames.Single(f => f.Header.Type == FrameType.Close);
        Assert.Equal((byte)CloseCode.ProtocolViolation, close.Payload[0]);
        Assert.Contains("unknown frame type", System.Text.Encoding.UTF8.GetString(close.Payload.AsSpan(1)));
    }

    [Fact]
    public async Task Nothing_after_a_CLOSE_frame_is_delivered()
    {
        var (ours, _) = InMemoryTransport.CreatePair();
        var establishing = TetherConnection.EstablishAsync(ours, ConnectionRole.Listener, ConnectionPair.Options(_heartbeat));
        await ours.InjectAsync(Wire.Preamble(ConnectionRole.Connector));
        var connection = await establishing;
        var close = Wire.Frame(FrameType.Close, 0, [(byte)CloseCode.Normal, .. "bye"u8.ToArray()]);
        await ours.InjectAsync(Wire.Concat(close, Wire.Frame(FrameType.Data, 0, "hi"u8, FrameFlags.EndOfMessage)));
        var disconnection = await connection.Disconnected.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(DisconnectReason.PeerClosed, disconnection.Reason);
        Assert.Contains("bye", disconnection.Detail);
        Assert.Null(await connection.DefaultChannel.ReceiveAsync());
        await connection.DisposeAsync();
    }

    [Fact]
    public async Task A_peer_that_never_completes_the_handshake_fails_after_the_handshake_timeout()
    {
        var (ours, _) = InMemoryTransport.CreatePair();
        var options = ConnectionPair.Options(_heartbeat, o => o.HandshakeTimeout = TimeSpan.FromSeconds(5));
        var establishing = TetherConnection.EstablishAsync(ours, ConnectionRole.Listener, options);
        await Task.Delay(50);
        Assert.False(establishing.IsCompleted);
        _time.Advance(TimeSpan.FromSeconds(5));
        var error = await Assert.ThrowsAsync<ConnectionLostException>(() => establishing.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(DisconnectReason.HandshakeFailed, error.Reason);
        Assert.Contains("within 5 s", error.Disconnection.Detail);
    }

    [Fact]
    public async Task Other_connections_are_unaffected_by_one_peers_garbage()
    {
        await using var healthy = await ConnectionPair.CreateAsync();
        var (ours, _) = InMemoryTransport.CreatePair();
        var bad = TetherConnection.EstablishAsync(ours, ConnectionRole.Listener, ConnectionPair.Options(healthy.Heartbeat));
        await ours.InjectAsync("garbage garbage garbage garbage"u8.ToArray());
        await Assert.ThrowsAsync<ConnectionLostException>(() => bad.WaitAsync(TimeSpan.FromSeconds(10)));

        await healthy.Connector.DefaultChannel.SendAsync(new byte[] { 1, 2, 3 });
        using var message = (await healthy.Listener.DefaultChannel.ReceiveAsync())!.Value;
        Assert.Equal(new byte[] { 1, 2, 3 }, message.ToArray());
        Assert.False(healthy.Connector.Disconnected.IsCompleted);
    }

    /// <summary>Plays <paramref name="input"/> to a listener, ends the stream with <paramref name="end"/>, returns how the connection ended.</summary>
    private async Task<Disconnection> EndAsync(byte[] input, Action<InMemoryTransport> end)
    {
        var (ours, _) = InMemoryTransport.CreatePair();
        var options = ConnectionPair.Options(_heartbeat, o => o.MaxChannels = 4);
        var establishing = TetherConnection.EstablishAsync(ours, ConnectionRole.Listener, options);
        await ours.InjectAsync(input);
        end(ours);
        try
        {
            var connection = await establishing.WaitAsync(TimeSpan.FromSeconds(10));
            var disconnection = await connection.Disconnected.WaitAsync(TimeSpan.FromSeconds(10));
            await connection.DisposeAsync();
            return disconnection;
        }
        catch (ConnectionLostException e)
        {
            return e.Disconnection;
        }
    }
}

/// <summary>Tests that measure process-wide allocation run alone.</summary>
[CollectionDefinition(nameof(AllocationSensitive), DisableParallelization = true)]
public sealed class AllocationSensitive
{
}
