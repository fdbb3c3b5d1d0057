using Tether.Liveness;

namespace Tether.Pb.Protocol;

/// <summary>
/// Tether's liveness rules on a PB connection: any inbound byte is proof of life; when this side has sent
/// nothing for <see cref="KeepaliveInterval"/> it sends a ping; after <see cref="DeadTimeout"/> without an
/// inbound byte the connection is aborted with <see cref="PbDeadPeerException"/>. PB has no ping message, so
/// the ping is a call whose answer or error any PB peer sends back: by default a call to an object name the
/// peer does not export, which Twisted answers with "Invalid Object ID" without logging anything.
/// </summary>
public sealed record PbLivenessOptions
{
    /// <summary>Outbound idle time before a ping (default 15 s, as Tether's native protocol).</summary>
    public TimeSpan KeepaliveInterval { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>Inbound silence after which the peer is dead (default 45 s); must exceed <see cref="KeepaliveInterval"/>.</summary>
    public TimeSpan DeadTimeout { get; init; } = TimeSpan.FromSeconds(45);

    /// <summary>The object the ping calls: a name the peer does not export, or one it does (e.g. "root").</summary>
    public string PingObject { get; init; } = "tether.ping";

    /// <summary>The method the ping calls.</summary>
    public string PingMethod { get; init; } = "ping";

    /// <summary>The shared tick that checks connections; <see cref="LivenessHeartbeat.Shared"/> when null.</summary>
    public LivenessHeartbeat? Heartbeat { get; init; }

    /// <summary>Throws when the settings cannot work.</summary>
    /// <exception cref="ArgumentException">A time is not positive, the dead timeout does not exceed the keepalive interval, or a name is empty.</exception>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(KeepaliveInterval, TimeSpan.Zero, nameof(KeepaliveInterval));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(DeadTimeout, KeepaliveInterval, nameof(DeadTimeout));
        ArgumentException.ThrowIfNullOrEmpty(PingObject, nameof(PingObject));
        ArgumentException.ThrowIfNullOrEmpty(PingMethod, nameof(PingMethod));
    }
}
