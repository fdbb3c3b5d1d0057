namespace Tether.Framing;

/// <summary>
/// Raised inside the framing layer when the peer's bytes break the protocol; the connection turns it into a
/// <see cref="Disconnection"/> and never lets it escape to user code.
/// </summary>
internal sealed class ProtocolViolationException : Exception
{
    public ProtocolViolationException(string detail)
        : this(DisconnectReason.ProtocolViolation, detail)
    {
    }

    public ProtocolViolationException(DisconnectReason reason, string detail)
        : base(detail)
    {
        Reason = reason;
    }

    public DisconnectReason Reason { get; }
}
