using System.Diagnostics;

namespace Tether.Cli.Lab.Contenders;

/// <summary>
/// The 2005 Buildbot keepalive, faithfully naive: when no message arrived for <c>interval</c>, call <c>ping</c> on the
/// peer; if the answer has not come within <c>timeout</c>, abandon the connection. The ping is an ordinary message
/// queued behind whatever this side is writing, and the peer's answer waits behind whatever the peer is writing: there
/// is no chunking and no priority, which is why the scheme kills healthy peers during big transfers on slow links.
/// </summary>
/// <param name="session">The connection.</param>
/// <param name="interval">Silence (in whole messages) before a ping.</param>
/// <param name="timeout">How long the answer may take.</param>
internal sealed class SeedKeepalive(StreamSession session, TimeSpan interval, TimeSpan timeout)
{
    /// <summary>How often the timers are checked; small against any interval the lab uses.</summary>
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(100);

    private long _pingSentAt;

    /// <summary>Answers pings, notes pongs and runs the timers until the connection ends.</summary>
    /// <returns>A task that ends with the connection.</returns>
    public async Task RunAsync()
    {
        session.MessageReceived += (kind, payload) =>
        {
            if (kind == StreamMessageKind.Ping)
            {
                _ = AnswerAsync();
            }
            else if (kind == StreamMessageKind.Pong)
            {
                Interlocked.Exchange(ref _pingSentAt, 0);
            }
        };

        while (!session.Ended.IsCompleted)
        {
            await Task.WhenAny(Task.Delay(Tick), session.Ended);
            var pingSentAt = Interlocked.Read(ref _pingSentAt);
            if (pingSentAt != 0 && Stopwatch.GetElapsedTime(pingSentAt) >= timeout)
            {
                session.Close("dead_peer");
            }
            else if (pingSentAt == 0 && Stopwatch.GetElapsedTime(session.LastMessageReceived) >= interval)
            {
                Interlocked.Exchange(ref _pingSentAt, Stopwatch.GetTimestamp());
                _ = SendQuietlyAsync(StreamMessageKind.Ping);
            }
        }
    }

    private Task AnswerAsync() => SendQuietlyAsync(StreamMessageKind.Pong);

    private async Task SendQuietlyAsync(StreamMessageKind kind)
    {
        try
        {
            await session.SendAsync(kind, ReadOnlyMemory<byte>.Empty);
        }
        catch (Exception e) when (e is System.Net.Sockets.SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // The connection ended; the session reports that.
        }
    }
}
