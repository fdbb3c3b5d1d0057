using System.Threading.Channels;
using Tether.Framing;

namespace Tether.Cli.Peer;

/// <summary>Tells failures that the <c>disconnected</c> event already explains from ones worth an <c>error</c> event.</summary>
internal static class PeerFailures
{
    /// <summary>
    /// True when <paramref name="exception"/> only says the connection ended, or that this side is closing it on
    /// purpose; such failures are reported once, by the <c>disconnected</c> event.
    /// </summary>
    /// <param name="exception">What an operation threw.</param>
    /// <param name="connection">The connection it ran on.</param>
    /// <param name="closing">Fired when this side decided to close the connection (sends then fail with "closing").</param>
    /// <returns>True when no separate error should be reported.</returns>
    public static bool IsEndOfConnection(Exception exception, TetherConnection connection, CancellationToken closing) =>
        exception is ConnectionLostException

        // AcceptChannelAsync reports the end through the channel it reads from.
        || exception is ChannelClosedException { InnerException: ConnectionLostException }
        || connection.Disconnected.IsCompleted
        || (closing.IsCancellationRequested && exception is OperationCanceledException or InvalidOperationException or IOException);
}
