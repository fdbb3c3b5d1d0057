using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Tether.Transport;

/// <summary>An <see cref="ITransport"/> over a connected TCP <see cref="Socket"/>.</summary>
public sealed class SocketTransport : ITransport
{
    /// <summary>The Linux error numbers that SO_ERROR reports after an end of stream.</summary>
    private static class LinuxErrno
    {
        public const int ConnectionReset = 104;
        public const int TimedOut = 110;
    }

    private const int MaxUnsentLimit = 4 * 1024 * 1024;
    private static readonly TimeSpan UnsentDrainTarget = TimeSpan.FromMilliseconds(20);
    private static readonly long RetuneEvery = Stopwatch.Frequency / 10;

    private static readonly (DisconnectReason, string) KernelTimedOut =
        (DisconnectReason.DeadPeer, "the kernel timed the connection out (TCP_USER_TIMEOUT or keepalive)");

    private readonly Socket _socket;
    private readonly int _unsentFloor;
    private int _unsentLimit;
    private long _nextRetune;
    private long _sentSinceRetune;
    private int _disposed;

    /// <summary>Wraps a connected socket; the transport owns it from now on.</summary>
    /// <param name="socket">A connected stream socket.</param>
    /// <param name="notSentLowWatermark">
    /// The TCP_NOTSENT_LOWAT already set on the socket (Linux), or null. When set, it is the floor of an adaptive limit:
    /// while data flows the transport raises it to what the link delivers in about 20 ms (per the kernel's delivery
    /// rate, up to 4 MiB), so fast links are not throttled by a small limit and slow links keep control frames close
    /// to the wire.
    /// </param>
    public SocketTransport(Socket socket, int? notSentLowWatermark = null)
    {
        ArgumentNullException.ThrowIfNull(socket);
        _socket = socket;
        _unsentFloor = OperatingSystem.IsLinux() && notSentLowWatermark is > 0 ? notSentLowWatermark.Value : 0;
        _unsentLimit = _unsentFloor;
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
        var sentTotal = buffer.Length;
        while (!buffer.IsEmpty)
        {
            var sent = await _socket.SendAsync(buffer, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            buffer = buffer[sent..];
        }

        if (_unsentFloor > 0)
        {
            _sentSinceRetune += sentTotal;
            RetuneUnsentLimit();
        }
    }

    /// <summary>
    /// At most every 100 ms, and only after bulk data (four times the floor) went out so the rate is worth trusting:
    /// size TCP_NOTSENT_LOWAT to ~20 ms of the kernel's measured delivery rate.
    /// </summary>
    private void RetuneUnsentLimit()
    {
        var now = Stopwatch.GetTimestamp();
        if (now < _nextRetune || _sentSinceRetune < 4L * _unsentFloor)
        {
            return;
        }

        _nextRetune = now + RetuneEvery;
        _sentSinceRetune = 0;
        if (TcpInfo.Read(_socket)?.DeliveryRate is not { } rate)
        {
            return;
        }

        var wanted = (int)Math.Clamp(rate * UnsentDrainTarget.TotalSeconds, _unsentFloor, MaxUnsentLimit);
        if (wanted >= _unsentLimit * 2 || wanted <= _unsentLimit / 2)
        {
            try
            {
                TcpSocketConfigurator.SetNotSentLowWatermark(_socket, wanted);
                _unsentLimit = wanted;
            }
            catch (SocketException)
            {
                _nextRetune = long.MaxValue; // not supported after all: stop trying
            }
        }
    }

    /// <summary>The current TCP_NOTSENT_LOWAT this transport keeps (0 when not managed).</summary>
    public int UnsentLimit => _unsentLimit;

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
            SocketError.TimedOut => KernelTimedOut,
            // EPIPE on a send: a FIN alone never causes it, a reset does.
            SocketError.Shutdown => (DisconnectReason.PeerReset, "connection reset (broken pipe)"),
            null when exception is ObjectDisposedException => (DisconnectReason.LocalClose, "socket closed locally"),
            null => (DisconnectReason.TransportError, exception.Message),
            _ => (DisconnectReason.TransportError, $"{socketError}: {exception.Message}"),
        };
    }

    /// <inheritdoc />
    public (DisconnectReason Reason, string Detail)? ClassifyEndOfStream()
    {
        // After a FIN the socket sits in CLOSE_WAIT; after a reset or a kernel timeout the kernel has moved it to CLOSE
        // and left the error in SO_ERROR unless a concurrent send took it already.
        const byte TcpClose = 7;
        if (TcpInfo.Read(_socket)?.State != TcpClose)
        {
            return null;
        }

        return PendingErrno() switch
        {
            LinuxErrno.TimedOut => KernelTimedOut,
            LinuxErrno.ConnectionReset => (DisconnectReason.PeerReset, "connection reset (seen at end of stream)"),
            _ => (DisconnectReason.PeerReset, "connection reset or timed out by the kernel (seen at end of stream)"),
        };
    }

    private int PendingErrno()
    {
        const int SolSocket = 1;
        const int SoError = 4;
        Span<byte> value = stackalloc byte[sizeof(int)];
        try
        {
            return _socket.GetRawSocketOption(SolSocket, SoError, value) == sizeof(int) ? BitConverter.ToInt32(value) : 0;
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return 0;
        }
    }

    /// <inheritdoc />
    public TcpInfo? GetTcpInfo() => TcpInfo.Read(_socket);

    /// <inheritdoc />
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _socket.Dispose();
        }
    }
}
