using System.Threading.Channels;
using Tether.Framing;

namespace Tether.Cli.Peer;

/// <summary>Tells failures that the <c>disconnected</c> event already explains from ones worth an <c>error</c> event.</summary>
internal static class PeerFailures
{
    /// <summary>
    /// True when <paramref name="exception"/> only says the connection ended (or this side is shutting down); such
    /// failures are reported once, by the <c>disconnected</c> event.
    /// </summary>
    /// <param name="exception">What an operation threw.</param>
    /// <param name="connection">The connection it ran on.</param>
    /// <param name="stopping">This side's shutdown token.</param>
    /// <returns>True when no separate error should be reported.</returns>
    public static bool IsEndOfConnection(Exception exception, TetherConnection connection, CancellationToken stopping) =>
        exception is ConnectionLostException
        || exception is ChannelClosedException { InnerException: ConnectionLostException }
        || connection.Disconnected.IsCompleted
        || (stopping.IsCancellationRequested && exception is OperationCanceledException or InvalidOperationException);
}
