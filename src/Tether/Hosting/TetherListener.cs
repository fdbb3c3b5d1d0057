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
    private readonly TetherConnectionOptions _options;
    private readonly ILogger _logger;
    private readonly SocketAcceptor<TetherConnection> _acceptor;

    private TetherListener(IPEndPoint endpoint, int backlog, TetherConnectionOptions options)
    {
        _options = options;
        _logger = options.LoggerFactory?.CreateLogger<TetherListener>() ?? NullLogger<TetherListener>.Instance;
        _acceptor = SocketAcceptor<TetherConnection>.Start(endpoint, backlog, HandshakeAsync, _logger);
    }

    /// <summary>The bound address (with the actual port when port 0 was asked for).</summary>
    public IPEndPoint LocalEndPoint => _acceptor.LocalEndPoint;

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
        return new TetherListener(endpoint, backlog, options);
    }

    /// <summary>Waits for the next connection that completed its handshake.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The connection; the caller owns it.</returns>
    /// <exception cref="ChannelClosedException">The listener was disposed.</exception>
    public ValueTask<TetherConnection> AcceptAsync(CancellationToken cancellationToken = default) =>
        _acceptor.AcceptAsync(cancellationToken);

    /// <summary>Stops accepting. Connections already handed out stay open; ones still in handshake are aborted.</summary>
    /// <returns>A task for the disposal.</returns>
    public ValueTask DisposeAsync() => _acceptor.DisposeAsync();

    private async Task<TetherConnection?> HandshakeAsync(Socket socket, CancellationToken cancellationToken)
    {
        var remote = socket.RemoteEndPoint;
        try
        {
            TcpSocketConfigurator.Apply(socket, _options.Transport, _options.DeadTimeout, _logger);
            return await TetherConnection.EstablishAsync(ConnectionTransport.ForAccepted(socket, _options), ConnectionRole.Listener, _options, cancellationToken).ConfigureAwait(false);
        }
        catch (ConnectionLostException e)
        {
            LogHandshakeFailed(_logger, remote, e.Disconnection);
            return null;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Handshake with {Remote} failed: {Disconnection}")]
    private static partial void LogHandshakeFailed(ILogger logger, EndPoint? remote, Disconnection disconnection);
}
