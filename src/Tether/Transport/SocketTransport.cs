using System.Net;
using System.Net.Sockets;

namespace Tether.Transport;

/// <summary>An <see cref="ITransport"/> over a connected TCP <see cref="Socket"/>.</summary>
public sealed class SocketTransport : ITransport
{
    private readonly Socket _socket;
    private int _disposed;

    /// <summary>Wraps a connected socket; the transport owns it from now on.</summary>
    /// <param name="socket">A connected stream socket.</param>
    public SocketTransport(Socket socket)
    {
        ArgumentNullException.ThrowIfNull(socket);
        _socket = socket;
        LocalEndPoint = socket.LocalEndPoint;
        RemoteEndPoint = socket.RemoteEndPoint;
    }

    /// <summary>The underlying socket (for reading options and TCP_INFO).</summary>
    public Socket Socket => _socket;

    /// <inheritdoc />
    public EndPoint? LocalEndPoint { get; }

    /// <inheritdoc />
    public EndPoint? RemoteEndPoint { get; }

    /// <inheritdoc />
    public ValueTask<int> WaitForDataAsync(CancellationToken cancellationToken) =>
        _socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None, cancellationToken);

    /// <inheritdoc />
    public bool HasBufferedData
    {
        get
        {
            try
            {
                return _socket.Available > 0;
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                return false;
            }
        }
    }

    /// <inheritdoc />
    public ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken) =>
        _socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);

    /// <inheritdoc />
    public async ValueTask SendAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken)
    {
        while (!buffer.IsEmpty)
        {
            var sent = await _socket.SendAsync(buffer, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            buffer = buffer[sent..];
        }
    }

    /// <inheritdoc />
    public void ShutdownSend()
    {
        try
        {
            _socket.Shutdown(SocketShutdown.Send);
        }
        catch (SocketException)
        {
            // Already reset or closed: nothing left to shut down.
        }
        catch (ObjectDisposedException)
        {
        }
    }

    /// <inheritdoc />
    public void Abort()
    {
        try
        {
            // Linger on with a zero timeout turns close into an abortive close: the kernel sends RST and drops unsent data.
            _socket.LingerState = new LingerOption(true, 0);
        }
        catch (SocketException)
        {
        }
        catch (ObjectDisposedException)
        {
        }

        Dispose();
    }

    /// <inheritdoc />
    public (DisconnectReason Reason, string Detail) Classify(Exception exception) => ClassifySocketError(exception);

    /// <summary>Maps socket exceptions to disconnect reasons (shared with transports that simulate sockets).</summary>
    /// <param name="exception">The exception from a receive or send.</param>
    /// <returns>The reason and a detail.</returns>
    public static (DisconnectReason Reason, string Detail) ClassifySocketError(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var socketError = exception switch
        {
            SocketException se => se.SocketErrorCode,
            IOException { InnerException: SocketException inner } => inner.SocketErrorCode,
            _ => (SocketError?)null,
        };

        return socketError switch
        {
            SocketError.ConnectionReset or SocketError.ConnectionAborted => (DisconnectReason.PeerReset, $"connection reset ({socketError})"),
            SocketError.TimedOut => (DisconnectReason.DeadPeer, "the kernel timed the connection out (TCP_USER_TIMEOUT or keepalive)"),
            // EPIPE on a send: a FIN alone never causes it, a reset does.
            SocketError.Shutdown => (DisconnectReason.PeerReset, "connection reset (broken pipe)"),
            null when exception is ObjectDisposedException => (DisconnectReason.LocalClose, "socket closed locally"),
            null => (DisconnectReason.TransportError, exception.Message),
            _ => (DisconnectReason.TransportError, $"{socketError}: {exception.Message}"),
        };
    }

    /// <inheritdoc />
    public bool EndedByReset()
    {
        // After a FIN the socket sits in CLOSE_WAIT; after a RST the kernel has moved it to CLOSE.
        const byte TcpClose = 7;
        return TcpInfo.Read(_socket)?.State == TcpClose;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _socket.Dispose();
        }
    }
}
