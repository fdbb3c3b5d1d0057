namespace Tether.Framing;

/// <summary>Heartbeat echoes: a PONG returns the timestamp our PING carried, giving a round-trip sample.</summary>
public sealed partial class TetherConnection
{
    private static readonly TimeSpan MaxPlausibleRoundTrip = TimeSpan.FromHours(1);

    // Added to the clock value a PING carries, so the echo does not reveal this host's uptime.
    private readonly ulong _echoOffset = (ulong)Random.Shared.NextInt64();

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
