using System.Buffers;

namespace Tether.Framing;

/// <summary>
/// An ordered, flow-controlled stream of messages in each direction, multiplexed with other channels on one
/// connection. Large messages are cut into chunks and interleaved with other channels' chunks; each direction has its
/// own credit window, so a slow consumer on one channel stalls only that channel.
/// </summary>
public sealed partial class TetherChannel : IAsyncDisposable
{
    private readonly TetherConnection _connection;

    internal TetherChannel(TetherConnection connection, ushort id, bool openedByPeer, int receiveWindow)
    {
        _connection = connection;
        Id = id;
        OpenedByPeer = openedByPeer;
        _receiveWindow = receiveWindow;
        _receiveWindowRemaining = receiveWindow;
    }

    /// <summary>The channel number (0 is the default channel both sides have).</summary>
    public ushort Id { get; }

    /// <summary>The connection this channel belongs to.</summary>
    public TetherConnection Connection => _connection;

    /// <summary>True when the peer opened this channel.</summary>
    public bool OpenedByPeer { get; }

    /// <summary>Sends one message. Completes when its last byte was handed to the transport.</summary>
    /// <param name="message">The message; must stay unchanged until the task completes.</param>
    /// <param name="cancellationToken">Cancels the send: withdrawn if not started, otherwise aborted on the wire.</param>
    /// <returns>A task for the send.</returns>
    public ValueTask SendAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken = default) =>
        SendAsync(new ReadOnlySequence<byte>(message), cancellationToken);

    /// <summary>Sends one message. Completes when its last byte was handed to the transport.</summary>
    /// <param name="message">The message; must stay unchanged until the task completes.</param>
    /// <param name="cancellationToken">Cancels the send: withdrawn if not started, otherwise aborted on the wire.</param>
    /// <returns>A task for the send.</returns>
    public ValueTask SendAsync(ReadOnlySequence<byte> message, CancellationToken cancellationToken = default)
    {
        var limit = _connection.PeerMaxMessageSize;
        if (message.Length > limit)
        {
            return ValueTask.FromException(new ArgumentOutOfRangeException(nameof(message), message.Length, $"The peer accepts messages up to {limit} bytes."));
        }

        // The message lock is only taken to enqueue, so whole messages from many callers queue up behind each other
        // (and share socket writes) while a stream being sent keeps the channel to itself.
        if (!_messageLock.Wait(0, CancellationToken.None))
        {
            return SendAfterLockAsync(message, cancellationToken);
        }

        try
        {
            return _connection.EnqueueSend(this, message, endOfMessage: true, cancellationToken);
        }
        finally
        {
            _messageLock.Release();
        }
    }

    /// <summary>
    /// Sends the rest of <paramref name="source"/> as one message, reading it chunk by chunk as flow-control credit
    /// allows. Nothing else is sent on this channel meanwhile.
    /// </summary>
    /// <param name="source">The data.</param>
    /// <param name="cancellationToken">Cancels the send; a started message is aborted on the wire.</param>
    /// <returns>The number of bytes sent.</returns>
    public async Task<long> SendAsync(Stream source, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        await _messageLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        var size = Math.Max(_connection.EffectiveChunkSize * 4, 64 * 1024);
        var reading = ArrayPool<byte>.Shared.Rent(size);
        var sending = ArrayPool<byte>.Shared.Rent(size);
        long total = 0;
        try
        {
            var inFlight = ValueTask.CompletedTask;
            while (true)
            {
                var read = await source.ReadAsync(reading.AsMemory(0, size), cancellationToken).ConfigureAwait(false);
                await inFlight.ConfigureAwait(false);
                inFlight = ValueTask.CompletedTask;
                if (read == 0)
                {
                    await _connection.EnqueueSend(this, ReadOnlySequence<byte>.Empty, endOfMessage: true, cancellationToken).ConfigureAwait(false);
                    return total;
                }

                total += read;
                if (total > _connection.PeerMaxMessageSize)
                {
                    throw new InvalidOperationException($"The stream is longer than the {_connection.PeerMaxMessageSize} bytes the peer accepts in one message; the message was aborted.");
                }

                (reading, sending) = (sending, reading);
                inFlight = _connection.EnqueueSend(this, new ReadOnlySequence<byte>(sending, 0, read), endOfMessage: false, cancellationToken);
            }
        }
        catch (Exception) when (total > 0)
        {
            // Part of the message may be on the wire: tell the receiver to drop it (a no-op if nothing was written).
            _connection.EnqueueAbort(this);
            throw;
        }
        finally
        {
            _messageLock.Release();
            ArrayPool<byte>.Shared.Return(reading);
            ArrayPool<byte>.Shared.Return(sending);
        }
    }

    /// <summary>Tells the peer this side will send nothing more on this channel (after the messages already queued).</summary>
    /// <returns>A task that completes once the close is queued (after a stream send in progress).</returns>
    public async ValueTask CompleteAsync()
    {
        // A stream being sent owns the channel until its last piece (or its ABORT) is queued; close after it.
        await _messageLock.WaitAsync().ConfigureAwait(false);
        try
        {
            _connection.CompleteChannel(this);
        }
        finally
        {
            _messageLock.Release();
        }
    }

    /// <summary>Completes the sending side; received messages not yet read are discarded.</summary>
    /// <returns>A task for the disposal.</returns>
    public async ValueTask DisposeAsync()
    {
        await CompleteAsync().ConfigureAwait(false);
        DiscardInbound();
    }

    /// <summary>
    /// Sends one whole message without a task to await: <paramref name="owner"/> (the buffer holding it) is disposed
    /// when the send is done, successfully or not. Failures are the connection's to report.
    /// </summary>
    /// <param name="message">The whole message.</param>
    /// <param name="owner">What holds the message's bytes.</param>
    /// <param name="writeNow">Whether to write at once if the connection is not writing (see <see cref="TetherConnection"/>'s detached sends).</param>
    /// <exception cref="ArgumentOutOfRangeException">The message is larger than the peer accepts (owner disposed).</exception>
    internal void Post(ReadOnlyMemory<byte> message, IDisposable owner, bool writeNow)
    {
        var limit = _connection.PeerMaxMessageSize;
        if (message.Length > limit)
        {
            owner.Dispose();
            throw new ArgumentOutOfRangeException(nameof(message), message.Length, $"The peer accepts messages up to {limit} bytes.");
        }

        if (!_messageLock.Wait(0, CancellationToken.None))
        {
            _ = PostAfterLockAsync(message, owner);
            return;
        }

        try
        {
            _connection.EnqueueDetachedSend(this, message, owner, writeNow);
        }
        finally
        {
            _messageLock.Release();
        }
    }

    private async Task PostAfterLockAsync(ReadOnlyMemory<byte> message, IDisposable owner)
    {
        try
        {
            await SendAfterLockAsync(new ReadOnlySequence<byte>(message), CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // As for any detached send, a failure shows as the connection's end.
        }
        finally
        {
            owner.Dispose();
        }
    }

    private async ValueTask SendAfterLockAsync(ReadOnlySequence<byte> message, CancellationToken cancellationToken)
    {
        ValueTask send;
        await _messageLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            send = _connection.EnqueueSend(this, message, endOfMessage: true, cancellationToken);
        }
        finally
        {
            _messageLock.Release();
        }

        await send.ConfigureAwait(false);
    }
}
