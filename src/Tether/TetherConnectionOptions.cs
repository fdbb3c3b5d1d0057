using Microsoft.Extensions.Logging;
using Tether.Liveness;
using Tether.Transport;

namespace Tether;

/// <summary>
/// Settings of one Tether connection: liveness bounds, framing limits and transport options.
/// The defaults keep a NAT mapping with a 5-minute idle timeout alive and detect a dead peer within
/// a minute; see docs/liveness.md for the reasoning.
/// </summary>
public sealed class TetherConnectionOptions
{
    /// <summary>Smallest accepted chunk and frame payload size.</summary>
    public const int MinChunkSize = 1024;

    /// <summary>Largest accepted chunk and frame payload size (16 MiB - 1, so frame lengths stay far from overflow).</summary>
    public const int MaxChunkSizeLimit = (16 * 1024 * 1024) - 1;

    /// <summary>
    /// How long this side's outbound direction may stay idle before it sends a PING. Default 15 s.
    /// The quiet direction talks: during a one-way transfer the receiver's heartbeats flow back.
    /// </summary>
    public TimeSpan KeepaliveInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// The peer is declared dead (and the connection aborted with RST) when no inbound byte arrived for this long.
    /// Default 45 s. Must exceed <see cref="KeepaliveInterval"/> and the longest stall TCP's loss recovery can cause on
    /// the slowest link the connection will cross.
    /// </summary>
    public TimeSpan DeadTimeout { get; set; } = TimeSpan.FromSeconds(45);

    /// <summary>How long the opening handshake may take. Default 10 s.</summary>
    public TimeSpan HandshakeTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a graceful close waits for queued data to drain and for the peer to close. Default 5 s.</summary>
    public TimeSpan CloseTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Largest DATA frame payload this side sends: messages larger than this are cut into chunks and interleaved with
    /// other channels, and control frames wait at most one chunk. Default 32 KiB.
    /// </summary>
    public int ChunkSize { get; set; } = 32 * 1024;

    /// <summary>Largest DATA frame payload this side accepts (advertised in the handshake). Default 64 KiB.</summary>
    public int MaxFramePayload { get; set; } = 64 * 1024;

    /// <summary>
    /// Flow-control window per channel: bytes the peer may send on a channel before this side's application consumes
    /// them (advertised in the handshake). Bounds what a channel buffers unread. A message received whole with
    /// <see cref="Framing.TetherChannel.ReceiveAsync"/> that is larger than half the window is copied out as it
    /// arrives, so that one message may occupy up to <see cref="MaxMessageSize"/> on top. Default 1 MiB.
    /// </summary>
    public int ChannelWindow { get; set; } = 1024 * 1024;

    /// <summary>Largest message this side accepts (advertised in the handshake). Default 64 MiB.</summary>
    public long MaxMessageSize { get; set; } = 64L * 1024 * 1024;

    /// <summary>Most channels the peer may have open at once on this connection. Default 256.</summary>
    public int MaxChannels { get; set; } = 256;

    /// <summary>Socket-level settings.</summary>
    public TcpTransportOptions Transport { get; set; } = new();

    /// <summary>
    /// TLS around the whole connection, preamble included; null (default) for plain TCP. The TLS handshake counts
    /// against <see cref="HandshakeTimeout"/>.
    /// </summary>
    public TetherTlsOptions? Tls { get; set; }

    /// <summary>
    /// The shared tick loop that checks this connection's liveness. Default: <see cref="LivenessHeartbeat.Shared"/>.
    /// Tests pass their own, driven by a fake <see cref="System.TimeProvider"/>.
    /// </summary>
    public LivenessHeartbeat? Heartbeat { get; set; }

    /// <summary>Logger factory; null logs nothing.</summary>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    /// <exception cref="ArgumentException">A setting is out of range or inconsistent with another.</exception>
    public void Validate()
    {
        Require(KeepaliveInterval > TimeSpan.Zero, nameof(KeepaliveInterval), "must be positive");
        Require(DeadTimeout > KeepaliveInterval, nameof(DeadTimeout), $"must exceed KeepaliveInterval ({KeepaliveInterval})");
        Require(HandshakeTimeout > TimeSpan.Zero, nameof(HandshakeTimeout), "must be positive");
        Require(CloseTimeout >= TimeSpan.Zero, nameof(CloseTimeout), "must not be negative");
        Require(ChunkSize is >= MinChunkSize and <= MaxChunkSizeLimit, nameof(ChunkSize), $"must be within {MinChunkSize}..{MaxChunkSizeLimit}");
        Require(MaxFramePayload is >= MinChunkSize and <= MaxChunkSizeLimit, nameof(MaxFramePayload), $"must be within {MinChunkSize}..{MaxChunkSizeLimit}");
        Require(ChannelWindow >= MaxFramePayload, nameof(ChannelWindow), "must be at least MaxFramePayload");
        Require(MaxMessageSize >= 0, nameof(MaxMessageSize), "must not be negative");
        Require(MaxChannels is >= 1 and <= 32767, nameof(MaxChannels), "must be within 1..32767");
        ArgumentNullException.ThrowIfNull(Transport);
        Transport.Validate();
        Tls?.Validate();
    }

    internal LivenessHeartbeat ResolveHeartbeat() => Heartbeat ?? LivenessHeartbeat.Shared;

    private static void Require(bool condition, string name, string rule)
    {
        if (!condition)
        {
            throw new ArgumentException($"{name} {rule}.", name);
        }
    }
}
