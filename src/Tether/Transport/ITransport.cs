using System.Net;

namespace Tether.Transport;

/// <summary>
/// A reliable, ordered byte stream (TCP, or an in-memory pair in tests). Framing and liveness sit on top of this and
/// know nothing else about the medium.
/// </summary>
public interface ITransport : IDisposable
{
    /// <summary>The local address, when the transport has one.</summary>
    EndPoint? LocalEndPoint { get; }

    /// <summary>The peer's address, when the transport has one.</summary>
    EndPoint? RemoteEndPoint { get; }

    /// <summary>
    /// Completes when bytes (or end of stream) are ready to read, without consuming them: a zero-byte read, so an idle
    /// connection holds no receive buffer while it waits.
    /// </summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>A task that completes (with 0) when a read will not block.</returns>
    ValueTask<int> WaitForDataAsync(CancellationToken cancellationToken);

    /// <summary>True when bytes are known to be waiting, so the next read will not block.</summary>
    bool HasBufferedData => false;

    /// <summary>Reads up to <paramref name="buffer"/>.Length bytes; returns 0 at end of stream.</summary>
    /// <param name="buffer">Destination.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The number of bytes read.</returns>
    ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken);

    /// <summary>Writes all of <paramref name="buffer"/>; completes when the transport has accepted every byte.</summary>
    /// <param name="buffer">Bytes to send.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes when the bytes are handed to the transport.</returns>
    ValueTask SendAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken);

    /// <summary>Ends the outbound direction in an orderly way (TCP FIN) after bytes already sent.</summary>
    void ShutdownSend();

    /// <summary>Ends the connection at once, discarding unsent bytes (TCP RST).</summary>
    void Abort();

    /// <summary>Maps an exception raised by this transport to a disconnect reason and a short detail.</summary>
    /// <param name="exception">The exception from a receive or send.</param>
    /// <returns>The reason and a detail for logs.</returns>
    (DisconnectReason Reason, string Detail) Classify(Exception exception);

    /// <summary>
    /// Called when a read returned end of stream. Linux returns end of stream not only after the peer's FIN but also
    /// after a reset and after the kernel's own timeout (TCP_USER_TIMEOUT, keepalive), reporting the error once,
    /// perhaps to a concurrent send; this tells those endings from an orderly FIN.
    /// </summary>
    /// <returns>The reason and a detail when the connection was reset or timed out; null for an orderly FIN.</returns>
    (DisconnectReason Reason, string Detail)? ClassifyEndOfStream() => null;

    /// <summary>The kernel's TCP statistics for the underlying socket (Linux); null when there is none.</summary>
    /// <returns>The snapshot or null.</returns>
    TcpInfo? GetTcpInfo() => null;
}
