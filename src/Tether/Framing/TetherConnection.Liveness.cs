namespace Tether.Framing;

/// <summary>Heartbeat echoes: a PONG returns the timestamp our PING carried, giving a round-trip sample.</summary>
public sealed partial class TetherConnection
{
    private static readonly TimeSpan MaxPlausibleRoundTrip = TimeSpan.FromHours(1);

    // Added to the clock value a PING carries, so the echo does not reveal this host's uptime.
    private readonly ulong _echoOffset = (ulong)Random.Shared.NextInt64();

    /// <summary>
    /// Asks the peer to prove that it is alive now: sends a PING at once through the priority lane and completes with
    /// true as soon as any byte from the peer is read after the call (the PONG, or anything else the peer sent meanwhile),
    /// or with false when nothing arrives within <paramref name="timeout"/> or the connection has ended. A lost connection
    /// is an answer (false), not an exception.
    /// </summary>
    /// <remarks>
    /// Meant for deciding whether an old connection is still alive before replacing it, for example when a user logs in
    /// again while its previous connection may be half-open. A probe that gets no answer does not end the connection:
    /// <see cref="TetherConnectionOptions.DeadTimeout"/> still decides that. The PING is an ordinary heartbeat, so its
    /// PONG is an ordinary round-trip sample and its write counts as outbound activity; the probe adds no per-connection
    /// timer beyond a one-off timeout.
    /// </remarks>
    /// <param name="timeout">How long to wait for the peer; positive.</param>
    /// <param name="cancellationToken">Cancels the wait (the task is then cancelled).</param>
    /// <returns>True if the peer proved it is alive within the timeout; false otherwise.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeout"/> is not positive.</exception>
    public Task<bool> ProbePeerAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(timeout, TimeSpan.Zero);
        return _monitor.ProbeAsync(timeout, cancellationToken);
    }

    private void OnPong(ulong echo)
    {
        // The echo is opaque to the peer; only values that can be our own recent timestamps count as samples.
        var sent = unchecked((long)(echo - _echoOffset));
        var now = _time.GetTimestamp();
        if (sent <= 0 || sent > now)
        {
            return;
        }

        var roundTrip = _time.GetElapsedTime(sent, now);
        if (roundTrip < MaxPlausibleRoundTrip)
        {
            _monitor.OnRoundTrip(roundTrip);
        }
    }
}
