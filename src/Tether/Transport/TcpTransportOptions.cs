namespace Tether.Transport;

/// <summary>Socket options applied to every TCP connection. Read back with <see cref="TcpSocketConfigurator.ReadBack"/>.</summary>
public sealed class TcpTransportOptions
{
    /// <summary>Disable Nagle's algorithm so small control frames are not delayed. Default true.</summary>
    public bool NoDelay { get; set; } = true;

    /// <summary>
    /// Enable SO_KEEPALIVE as a kernel backstop, with idle time, interval and count derived from the dead timeout
    /// (see <see cref="KernelLivenessSettings"/>). Default true.
    /// </summary>
    public bool KernelKeepalive { get; set; } = true;

    /// <summary>
    /// Set TCP_USER_TIMEOUT (Linux) to the larger of 5 minutes and twice the dead timeout, so unacknowledged data cannot
    /// keep a dead connection alive for the ~15 minutes of default retransmissions, while a retransmission lost again
    /// on a slow link never kills a healthy connection. Default true.
    /// </summary>
    public bool UserTimeout { get; set; } = true;

    /// <summary>
    /// TCP_NOTSENT_LOWAT (Linux) in bytes: how much unsent data the kernel may hold for this socket, so a control frame
    /// never waits behind megabytes in the send buffer. Null leaves the kernel default. Default 16 KiB.
    /// </summary>
    public int? NotSentLowWatermark { get; set; } = 16 * 1024;

    /// <summary>SO_SNDBUF in bytes; null keeps kernel autotuning. Default null.</summary>
    public int? SendBufferSize { get; set; }

    /// <summary>SO_RCVBUF in bytes; null keeps kernel autotuning. Default null.</summary>
    public int? ReceiveBufferSize { get; set; }

    /// <summary>Size of the buffer rented for each socket read (after a zero-byte read says data is waiting). Default 64 KiB.</summary>
    public int ReceiveBufferBytes { get; set; } = 64 * 1024;

    internal void Validate()
    {
        if (NotSentLowWatermark is < 0)
        {
            throw new ArgumentException("NotSentLowWatermark must not be negative.", nameof(NotSentLowWatermark));
        }

        if (SendBufferSize is <= 0 || ReceiveBufferSize is <= 0)
        {
            throw new ArgumentException("Socket buffer sizes must be positive when set.", nameof(SendBufferSize));
        }

        if (ReceiveBufferBytes < 1024)
        {
            throw new ArgumentException("ReceiveBufferBytes must be at least 1024.", nameof(ReceiveBufferBytes));
        }
    }
}
