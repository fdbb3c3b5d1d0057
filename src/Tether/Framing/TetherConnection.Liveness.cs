namespace Tether.Framing;

/// <summary>Heartbeat echoes: a PONG returns the timestamp our PING carried, giving a round-trip sample.</summary>
public sealed partial class TetherConnection
{
    private static readonly TimeSpan MaxPlausibleRoundTrip = TimeSpan.FromHours(1);

    private void OnPong(ulong echo)
    {
        // The echo is opaque to the peer; only values that can be our own recent timestamps count as samples.
        var sent = (long)echo;
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
