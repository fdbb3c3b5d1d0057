namespace Tether.Liveness;

/// <summary>
/// What the liveness engine needs from a connection, whatever its wire protocol: a way to make the quiet direction talk
/// and a way to abort. The native protocol sends a PING frame; the PB-compatible protocol sends a cheap remote call.
/// </summary>
public interface ILivenessPeer
{
    /// <summary>
    /// Queue a small heartbeat now, one the peer answers: this side's outbound direction has been idle for the keepalive
    /// interval, or a probe asks the peer to prove it is alive.
    /// </summary>
    void SendKeepalive();

    /// <summary>No inbound byte arrived for the dead timeout: abort the connection (RST) with <see cref="DisconnectReason.DeadPeer"/>.</summary>
    /// <param name="silence">Time since the last inbound byte, as measured on the wall clock.</param>
    void DeclareDead(TimeSpan silence);
}
