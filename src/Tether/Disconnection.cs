namespace Tether;

/// <summary>Why a connection ended. Every connection ends with exactly one reason.</summary>
public enum DisconnectReason
{
    /// <summary>No inbound byte arrived for the configured dead timeout; the connection was aborted.</summary>
    DeadPeer,

    /// <summary>The peer closed the connection in an orderly way (a CLOSE frame or a TCP FIN).</summary>
    PeerClosed,

    /// <summary>The peer's TCP stack reset the connection (RST), e.g. because the peer process was killed.</summary>
    PeerReset,

    /// <summary>The peer sent bytes that break the wire protocol; the detail names the rule.</summary>
    ProtocolViolation,

    /// <summary>The opening handshake did not complete: wrong version, wrong role, or timeout.</summary>
    HandshakeFailed,

    /// <summary>This side closed or disposed the connection.</summary>
    LocalClose,

    /// <summary>The operating system reported another transport error (e.g. host unreachable, kernel timeout).</summary>
    TransportError,
}

/// <summary>The record of how a connection ended.</summary>
/// <param name="Reason">The typed reason.</param>
/// <param name="Detail">A human-readable explanation (the violated rule, the peer's close message, the socket error).</param>
/// <param name="Silence">Time since the last inbound byte when the connection ended.</param>
/// <param name="BytesSent">Bytes written to the transport over the connection's life.</param>
/// <param name="BytesReceived">Bytes read from the transport over the connection's life.</param>
public sealed record Disconnection(
    DisconnectReason Reason,
    string Detail,
    TimeSpan Silence,
    long BytesSent,
    long BytesReceived)
{
    /// <summary>The reason in snake_case (<c>dead_peer</c>, <c>peer_closed</c>, ...), as used in logs, metrics and JSON.</summary>
    public string ReasonCode => ToCode(Reason);

    /// <summary>Converts a reason to its snake_case code.</summary>
    /// <param name="reason">The reason.</param>
    /// <returns>The code, e.g. <c>dead_peer</c>.</returns>
    public static string ToCode(DisconnectReason reason) => reason switch
    {
        DisconnectReason.DeadPeer => "dead_peer",
        DisconnectReason.PeerClosed => "peer_closed",
        DisconnectReason.PeerReset => "peer_reset",
        DisconnectReason.ProtocolViolation => "protocol_violation",
        DisconnectReason.HandshakeFailed => "handshake_failed",
        DisconnectReason.LocalClose => "local_close",
        DisconnectReason.TransportError => "transport_error",
        _ => throw new ArgumentOutOfRangeException(nameof(reason), reason, null),
    };

    /// <inheritdoc />
    public override string ToString() =>
        $"{ReasonCode}: {Detail} (silence {Silence.TotalSeconds:0.000} s, sent {BytesSent} B, received {BytesReceived} B)";
}

/// <summary>Thrown by operations on a connection that has ended; carries the reason.</summary>
public sealed class ConnectionLostException : IOException
{
    /// <summary>Creates the exception for a disconnection.</summary>
    /// <param name="disconnection">How the connection ended.</param>
    public ConnectionLostException(Disconnection disconnection)
        : base($"Connection lost: {disconnection}")
    {
        Disconnection = disconnection;
    }

    /// <summary>How the connection ended.</summary>
    public Disconnection Disconnection { get; }

    /// <summary>The typed reason.</summary>
    public DisconnectReason Reason => Disconnection.Reason;
}
