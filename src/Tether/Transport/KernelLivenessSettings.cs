namespace Tether.Transport;

/// <summary>
/// Kernel backstops derived from the application's dead timeout. They exist for the cases the application cannot see
/// (our own process frozen, data stuck unacknowledged) and are set later than the application's own detection so that
/// the typed <see cref="DisconnectReason.DeadPeer"/> from the liveness engine normally wins.
/// </summary>
/// <param name="KeepaliveIdle">TCP_KEEPIDLE: idle time before the first kernel probe (= dead timeout).</param>
/// <param name="KeepaliveInterval">TCP_KEEPINTVL: time between probes (= dead timeout / 3, at least 1 s).</param>
/// <param name="KeepaliveCount">TCP_KEEPCNT: unanswered probes before the kernel gives up (3).</param>
/// <param name="UserTimeout">
/// TCP_USER_TIMEOUT: longest time sent data may stay unacknowledged (the larger of 5 minutes and 2 x dead timeout).
/// </param>
public readonly record struct KernelLivenessSettings(
    TimeSpan KeepaliveIdle,
    TimeSpan KeepaliveInterval,
    int KeepaliveCount,
    TimeSpan UserTimeout)
{
    /// <summary>
    /// The least TCP_USER_TIMEOUT. Unacknowledged data is not a sign of death while the peer's bytes keep arriving: on a
    /// slow, lossy link a retransmission that is lost again waits out an exponentially backed-off RTO, and a 64 kbit/s
    /// link in the functional tests lost two in a row and left data unacknowledged for over 20 s on a healthy
    /// connection. The application's silence rule detects dead peers; this backstop only has to beat the ~15 minutes
    /// of default retransmissions.
    /// </summary>
    public static readonly TimeSpan MinimumUserTimeout = TimeSpan.FromMinutes(5);

    /// <summary>Derives the kernel settings from the application's dead timeout.</summary>
    /// <param name="deadTimeout">The application's dead timeout.</param>
    /// <returns>Settings rounded up to whole seconds where the kernel takes seconds.</returns>
    public static KernelLivenessSettings FromDeadTimeout(TimeSpan deadTimeout)
    {
        var idleSeconds = Math.Max(1, (int)Math.Ceiling(deadTimeout.TotalSeconds));
        var intervalSeconds = Math.Max(1, (int)Math.Ceiling(deadTimeout.TotalSeconds / 3));
        return new KernelLivenessSettings(
            TimeSpan.FromSeconds(idleSeconds),
            TimeSpan.FromSeconds(intervalSeconds),
            3,
            TimeSpan.FromMilliseconds(Math.Max(MinimumUserTimeout.TotalMilliseconds, Math.Ceiling(deadTimeout.TotalMilliseconds * 2))));
    }
}
