using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Tether.Framing;
using Tether.Transport;

namespace Tether.Hosting;

/// <summary>Opens outbound Tether connections over TCP.</summary>
public static class TetherConnector
{
    /// <summary>Connects, applies the socket options and runs the handshake.</summary>
    /// <param name="endpoint">Where the listener is.</param>
    /// <param name="options">Options; null for defaults.</param>
    /// <param name="cancellationToken">Cancels connecting and the handshake.</param>
    /// <returns>The open connection.</returns>
    /// <exception cref="SocketException">The TCP connection could not be made.</exception>
    /// <exception cref="ConnectionLostException">The handshake (TLS included) failed; the reason says why.</exception>
    public static async Task<TetherConnection> ConnectAsync(EndPoint endpoint, TetherConnectionOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        options ??= new TetherConnectionOptions();
        options.Validate();
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            TcpSocketConfigurator.Apply(socket, options.Transport, options.DeadTimeout, options.LoggerFactory?.CreateLogger(typeof(TetherConnector)));
            await socket.ConnectAsync(endpoint, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return await TetherConnection.EstablishAsync(ConnectionTransport.ForConnected(socket, endpoint, options), ConnectionRole.Connector, options, cancellationToken).ConfigureAwait(false);
    }
}
