using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace Tether.Hosting;

/// <summary>
/// The machinery of every listener, whatever protocol it then speaks: a bound socket, an accept loop that survives
/// transient failures (EMFILE and friends), and a negotiation per accepted socket run concurrently off the loop, so one
/// slow or hostile client never holds up the others. What negotiated is queued for <see cref="AcceptAsync"/>.
/// </summary>
/// <typeparam name="T">What a negotiated socket becomes (a connection, a session).</typeparam>
internal sealed class SocketAcceptor<T> : IAsyncDisposable
    where T : class, IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly Func<Socket, CancellationToken, Task<T?>> _negotiate;
    private readonly ILogger _logger;
    private readonly Channel<T> _ready = Channel.CreateUnbounded<T>();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _acceptLoop;

    private SocketAcceptor(Socket socket, Func<Socket, CancellationToken, Task<T?>> negotiate, ILogger logger)
    {
        _socket = socket;
        _negotiate = negotiate;
        _logger = logger;
        LocalEndPoint = (IPEndPoint)socket.LocalEndPoint!;
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    /// <summary>The bound address (with the actual port when port 0 was asked for).</summary>
    public IPEndPoint LocalEndPoint { get; }

    /// <summary>Binds <paramref name="endpoint"/> and starts accepting.</summary>
    /// <param name="endpoint">Address to bind; port 0 picks a free port.</param>
    /// <param name="backlog">Listen backlog.</param>
    /// <param name="negotiate">
    /// Turns an accepted socket into a <typeparamref name="T"/>, or null when the peer failed (having said why); it owns
    /// the socket. Cancelled when the acceptor is disposed.
    /// </param>
    /// <param name="logger">Where accept failures are reported.</param>
    /// <returns>The running acceptor.</returns>
    public static SocketAcceptor<T> Start(IPEndPoint endpoint, int backlog, Func<Socket, CancellationToken, Task<T?>> negotiate, ILogger logger)
    {
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            socket.Bind(endpoint);
            socket.Listen(backlog);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return new SocketAcceptor<T>(socket, negotiate, logger);
    }

    /// <summary>Waits for the next socket that negotiated.</summary>
    /// <exception cref="ChannelClosedException">The acceptor was disposed.</exception>
    public ValueTask<T> AcceptAsync(CancellationToken cancellationToken) => _ready.Reader.ReadAsync(cancellationToken);

    /// <summary>Stops accepting; negotiations under way are cancelled and what negotiated but was never taken is disposed.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _socket.Dispose();
        await _acceptLoop.ConfigureAwait(false);
        _ready.Writer.TryComplete();
        while (_ready.Reader.TryRead(out var unclaimed))
        {
            await unclaimed.DisposeAsync().ConfigureAwait(false);
        }

        _stop.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket accepted;
            try
            {
                accepted = await _socket.AcceptAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException e)
            {
                // EMFILE and friends: keep the listener alive and try again shortly.
                SocketAcceptorLog.AcceptFailed(_logger, e.SocketErrorCode, e.Message);
                await Task.Delay(100).ConfigureAwait(false);
                continue;
            }

            // Off the accept loop's continuation: started from there, every connection's loops were measured to
            // retain ~4 KB more (10,000 idle connections); from a fresh work item they do not.
            _ = Task.Run(() => NegotiateAsync(accepted));
        }
    }

    private async Task NegotiateAsync(Socket socket)
    {
        T? negotiated;
        try
        {
            negotiated = await _negotiate(socket, _stop.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            socket.Dispose();
            return;
        }

        if (negotiated is not null && !_ready.Writer.TryWrite(negotiated))
        {
            await negotiated.DisposeAsync().ConfigureAwait(false);
        }
    }
}

/// <summary>The acceptor's log messages (kept out of the generic type).</summary>
internal static partial class SocketAcceptorLog
{
    [LoggerMessage(Level = LogLevel.Warning, Message = "Accept failed ({Error}): {Message}")]
    public static partial void AcceptFailed(ILogger logger, SocketError error, string message);
}
