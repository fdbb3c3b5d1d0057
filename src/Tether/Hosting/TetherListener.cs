using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Tether.Framing;
using Tether.Transport;

namespace Tether.Hosting;

/// <summary>
/// Accepts inbound Tether connections. Handshakes run concurrently in the background, so one slow or hostile client
/// never holds up the others; <see cref="AcceptAsync"/> hands out connections whose handshake succeeded.
/// </summary>
public sealed partial class TetherListener : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly TetherConnectionOptions _options;
    private readonly ILogger _logger;
    private readonly Channel<TetherConnection> _ready = Channel.CreateUnbounded<TetherConnection>();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _acceptLoop;

    private TetherListener(Socket socket, TetherConnectionOptions options)
    {
        _socket = socket;
        _options = options;
        _logger = options.LoggerFactory?.CreateLogger<TetherListener>() ?? NullLogger<TetherListener>.Instance;
        LocalEndPoint = (IPEndPoint)socket.LocalEndPoint!;
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    /// <summary>The bound address (with the actual port when port 0 was asked for).</summary>
    public IPEndPoint LocalEndPoint { get; }

    /// <summary>Binds and starts listening.</summary>
    /// <param name="endpoint">Address to bind; port 0 picks a free port.</param>
    /// <param name="options">Options for every accepted connection; null for defaults.</param>
    /// <param name="backlog">Listen backlog.</param>
    /// <returns>The listener.</returns>
    /// <exception cref="ArgumentException">An option is invalid, or TLS is asked for without a usable server certificate.</exception>
    public static TetherListener Start(IPEndPoint endpoint, TetherConnectionOptions? options = null, int backlog = 1024)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        options ??= new TetherConnectionOptions();
        options.Validate();
        options.Tls?.ValidateForListener();
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

        return new TetherListener(socket, options);
    }

    /// <summary>Waits for the next connection that completed its handshake.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The connection; the caller owns it.</returns>
    /// <exception cref="ChannelClosedException">The listener was disposed.</exception>
    public ValueTask<TetherConnection> AcceptAsync(CancellationToken cancellationToken = default) =>
        _ready.Reader.ReadAsync(cancellationToken);

    /// <summary>Stops accepting. Connections already handed out stay open; ones still in handshake are aborted.</summary>
    /// <returns>A task for the disposal.</returns>
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
                LogAcceptFailed(_logger, e.SocketErrorCode, e.Message);
                await Task.Delay(100).ConfigureAwait(false);
                continue;
            }

            // Off the accept loop's continuation: started from there, every connection's loops were measured to
            // retain ~4 KB more (10,000 idle connections); from a fresh work item they do not.
            _ = Task.Run(() => HandshakeAsync(accepted));
        }
    }

    private async Task HandshakeAsync(Socket socket)
    {
        var remote = socket.RemoteEndPoint;
        try
        {
            TcpSocketConfigurator.Apply(socket, _options.Transport, _options.DeadTimeout, _logger);
            var connection = await TetherConnection.EstablishAsync(ConnectionTransport.ForAccepted(socket, _options), ConnectionRole.Listener, _options, _stop.Token).ConfigureAwait(false);
            if (!_ready.Writer.TryWrite(connection))
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }
        }
        catch (ConnectionLostException e)
        {
            LogHandshakeFailed(_logger, remote, e.Disconnection);
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            socket.Dispose();
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Accept failed ({Error}): {Message}")]
    private static partial void LogAcceptFailed(ILogger logger, SocketError error, string message);

    [LoggerMessage(Level = LogLevel.Information, Message = "Handshake with {Remote} failed: {Disconnection}")]
    private static partial void LogHandshakeFailed(ILogger logger, EndPoint? remote, Disconnection disconnection);
}
