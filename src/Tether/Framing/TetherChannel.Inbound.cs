using System.Buffers;
using System.IO.Pipelines;
using Tether.Internal;

namespace Tether.Framing;

/// <summary>The receiving half: bytes from DATA frames go into a pipe; message boundaries are kept beside it.</summary>
public sealed partial class TetherChannel
{
    // The pipe never pauses its writer: the channel window already bounds what the peer may send, and the socket
    // reader must never stop reading (that is how liveness and other channels keep working).
    private static readonly PipeOptions InboundPipeOptions = new(
        pool: TetherMemoryPool.Instance,
        pauseWriterThreshold: 0,
        resumeWriterThreshold: 0,
        readerScheduler: PipeScheduler.ThreadPool,
        writerScheduler: PipeScheduler.Inline,
        useSynchronizationContext: false);

    private Pipe? _pipe; // created with the first DATA (or the first receive): idle channels hold none
    private readonly Queue<MessageMark> _marks = new();
    private readonly int _receiveWindow;
    private int _receiveWindowRemaining;
    private long _written;
    private long _flushedUpTo;
    private long _consumed;
    private long _unreportedCredit;
    private long _inboundMessageSize;
    private bool _inboundEnded;
    private long _outstandingToken;
    private long _nextToken;
    private byte[]? _accumulated;
    private int _accumulatedLength;
    private bool _skipCurrent;
    private bool _discarding;
    private Disconnection? _failure;
    private ReadOnlySequence<byte> _zeroCopyBuffer;
    private bool _holdingRead;

    /// <summary>Receives the next whole message, or null once the peer completed the channel.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The message (dispose it), or null at the end of the channel.</returns>
    /// <exception cref="ConnectionLostException">The connection was lost before the channel ended.</exception>
    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<TetherMessage?> ReceiveAsync(CancellationToken cancellationToken = default)
    {
        BeginReceive();
        if (_skipCurrent && !await DiscardAbandonedAsync(cancellationToken).ConfigureAwait(false))
        {
            throw EndedInsideMessage();
        }

        var reader = InboundPipe.Reader;
        while (true)
        {
            // A message whose bytes are all consumed already (an empty one, or the tail END of an accumulated one)
            // needs no read: the wake-up that announced its mark may have been taken by an earlier read.
            if (TryTakeReachedMark(out var ready))
            {
                if (ready.Aborted)
                {
                    ResetAccumulation();
                    continue;
                }

                _outstandingToken = ++_nextToken;
                return _accumulated is null
                    ? new TetherMessage(this, _outstandingToken, ReadOnlySequence<byte>.Empty)
                    : new TetherMessage(this, _outstandingToken, new ReadOnlySequence<byte>(_accumulated, 0, _accumulatedLength));
            }

            var result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            var mark = PeekMark();
            if (mark is { } m && buffer.Length >= m.End - _consumed)
            {
                var length = m.End - _consumed;
                DequeueMark();
                if (m.Aborted)
                {
                    ResetAccumulation();
                    Consume(buffer, length);
                    continue;
                }

                var token = ++_nextToken;
                if (_accumulated is null)
                {
                    // Zero copy: the payload stays in the pipe until the message is disposed.
                    _outstandingToken = token;
                    _zeroCopyBuffer = buffer.Slice(0, length);
                    _holdingRead = true;
                    return new TetherMessage(this, token, _zeroCopyBuffer);
                }

                Append(buffer.Slice(0, length));
                Consume(buffer, length);
                _outstandingToken = token;
                return new TetherMessage(this, token, new ReadOnlySequence<byte>(_accumulated, 0, _accumulatedLength));
            }

            if (result.IsCompleted)
            {
                reader.AdvanceTo(buffer.End);
                if (buffer.Length > 0 || _accumulated is not null)
                {
                    throw EndedInsideMessage();
                }

                EndOfChannel();
                return null;
            }

            if (_accumulated is not null || buffer.Length >= _receiveWindow / 2)
            {
                // The message is larger than half the window: copy it out and return credit, or the sender would
                // stall waiting for credit that only the end of this message could release.
                Append(buffer);
                Consume(buffer, buffer.Length);
            }
            else
            {
                reader.AdvanceTo(buffer.Start, buffer.End);
            }
        }
    }

    /// <summary>
    /// Receives the next message as a stream, for messages too large to hold in memory. Read it to the end (or dispose
    /// it, which skips the rest) before receiving again.
    /// </summary>
    /// <param name="cancellationToken">Cancels the wait for the message to start.</param>
    /// <returns>A stream over the message, or null at the end of the channel.</returns>
    public async ValueTask<Stream?> ReceiveStreamAsync(CancellationToken cancellationToken = default)
    {
        BeginReceive();
        if (_skipCurrent && !await DiscardAbandonedAsync(cancellationToken).ConfigureAwait(false))
        {
            throw EndedInsideMessage();
        }

        var result = await InboundPipe.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        if (result.Buffer.IsEmpty && PeekMark() is null && result.IsCompleted)
        {
            InboundPipe.Reader.AdvanceTo(result.Buffer.End);
            EndOfChannel();
            return null;
        }

        InboundPipe.Reader.AdvanceTo(result.Buffer.Start);
        _outstandingToken = ++_nextToken;
        return new MessageReadStream(this, _outstandingToken);
    }

    /// <summary>Called by <see cref="MessageReadStream"/>: reads the current message's next bytes; 0 at its end.</summary>
    internal async ValueTask<int> ReadMessageBytesAsync(long token, Memory<byte> destination, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(token != _outstandingToken, typeof(MessageReadStream));

        var reader = InboundPipe.Reader;
        while (true)
        {
            // Check for the end before reading: the wake-up for an END without data may have gone to an earlier read.
            if (TryTakeReachedMark(out var end))
            {
                _outstandingToken = 0;
                return end.Aborted ? throw new IOException("The sender aborted the message.") : 0;
            }

            var result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            var mark = PeekMark();
            var available = mark is { } m ? Math.Min(buffer.Length, m.End - _consumed) : buffer.Length;
            if (mark is { } reached && reached.End == _consumed)
            {
                reader.AdvanceTo(buffer.Start);
                continue;
            }

            if (available > 0 && destination.Length > 0)
            {
                var take = (int)Math.Min(available, destination.Length);
                buffer.Slice(0, take).CopyTo(destination.Span);
                Consume(buffer, take);
                return take;
            }

            if (result.IsCompleted)
            {
                reader.AdvanceTo(buffer.End);
                _outstandingToken = 0;
                throw EndedInsideMessage();
            }

            reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    /// <summary>
    /// Drops the rest of a message whose stream was disposed before its end. Returns false if the channel ended first.
    /// </summary>
    private async ValueTask<bool> DiscardAbandonedAsync(CancellationToken cancellationToken)
    {
        var reader = InboundPipe.Reader;
        while (true)
        {
            if (TryTakeReachedMark(out _))
            {
                _skipCurrent = false;
                return true;
            }

            var result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            var take = PeekMark() is { } mark ? Math.Min(result.Buffer.Length, mark.End - _consumed) : result.Buffer.Length;
            Consume(result.Buffer, take);
            if (take == 0 && result.IsCompleted && PeekMark() is null)
            {
                _skipCurrent = false;
                return false;
            }
        }
    }

    /// <summary>A message stream was disposed before its end: skip the rest on the next receive.</summary>
    internal void AbandonMessageStream(long token)
    {
        if (token == _outstandingToken)
        {
            _outstandingToken = 0;
            _skipCurrent = true;
        }
    }

    internal void ReleaseMessage(long token)
    {
        if (token == 0 || token != _outstandingToken)
        {
            return;
        }

        _outstandingToken = 0;
        if (_accumulated is not null)
        {
            ResetAccumulation();
            return;
        }

        // A zero-copy message: its bytes are the first ones of the buffer the last read returned.
        if (_holdingRead)
        {
            _holdingRead = false;
            var buffer = _zeroCopyBuffer;
            _zeroCopyBuffer = default;
            Consume(buffer, buffer.Length);
        }
    }

    // ---- called by the connection's receive loop (single thread) ----

    /// <summary>Validates and accounts a DATA frame header before its payload is accepted.</summary>
    internal void OnDataFrame(int length, long maxMessageSize)
    {
        if (_inboundEnded)
        {
            throw new ProtocolViolationException($"DATA on channel {Id} after the peer's CHANNEL_CLOSE");
        }

        if (length > Volatile.Read(ref _receiveWindowRemaining))
        {
            throw new ProtocolViolationException($"flow control violated on channel {Id}: DATA of {length} bytes with only {_receiveWindowRemaining} bytes of window granted");
        }

        Interlocked.Add(ref _receiveWindowRemaining, -length);
        _inboundMessageSize += length;
        if (_inboundMessageSize > maxMessageSize)
        {
            throw new ProtocolViolationException($"message on channel {Id} exceeds the advertised maximum message size {maxMessageSize}");
        }
    }

    internal void OnDataPayload(ReadOnlySpan<byte> payload)
    {
        lock (_marks)
        {
            if (_discarding)
            {
                // The application disposed the channel: drop the bytes but keep the sender's credit flowing.
                ReturnCredit(payload.Length);
                return;
            }

            // One segment for the whole piece (frames are at most MaxFramePayload): the Write extension would copy in
            // minimum-segment-sized steps, renting a buffer for each.
            var writer = InboundPipe.Writer;
            payload.CopyTo(writer.GetSpan(payload.Length));
            writer.Advance(payload.Length);
            _written += payload.Length;
        }
    }

    internal void OnDataFrameEnd(FrameFlags flags)
    {
        if (_discarding)
        {
            return;
        }

        if ((flags & (FrameFlags.EndOfMessage | FrameFlags.AbortMessage)) != 0)
        {
            lock (_marks)
            {
                _marks.Enqueue(new MessageMark(_written, (flags & FrameFlags.AbortMessage) != 0));
            }

            _inboundMessageSize = 0;
        }

        var written = _written != _flushedUpTo;
        _flushedUpTo = _written;
        Flush();
        if (!written)
        {
            // A flush without bytes does not wake a waiting reader, but a mark alone (an empty message, or END/ABORT
            // after the data) is news to it.
            InboundPipe.Reader.CancelPendingRead();
        }
    }

    internal void OnPeerCompleted()
    {
        if (_inboundEnded)
        {
            throw new ProtocolViolationException($"second CHANNEL_CLOSE on channel {Id}");
        }

        _inboundEnded = true;
        InboundPipe.Writer.Complete();
    }

    /// <summary>
    /// The connection ended (called by the receive loop as it exits, so the pipe writer has one owner): readers drain
    /// what arrived, then see the end of the channel, or the failure if the connection did not close gracefully.
    /// </summary>
    internal void OnConnectionEnded(Disconnection disconnection, bool graceful)
    {
        if (!graceful)
        {
            _failure = disconnection;
        }

        if (!_inboundEnded)
        {
            _inboundEnded = true;
            InboundPipe.Writer.Complete();
        }
    }

    internal bool InboundEnded => _inboundEnded;

    private Pipe InboundPipe => _pipe ?? LazyInitializer.EnsureInitialized(ref _pipe, static () => new Pipe(InboundPipeOptions));

    private void BeginReceive()
    {
        if (_outstandingToken != 0)
        {
            throw new InvalidOperationException($"Dispose the previous message received on channel {Id} (or finish its stream) before receiving the next one.");
        }
    }

    /// <summary>The inbound side ended between messages: a clean end, unless the connection failed.</summary>
    private void EndOfChannel()
    {
        ResetAccumulation();
        if (_failure is { } failure)
        {
            throw new ConnectionLostException(failure);
        }
    }

    /// <summary>The inbound side ended inside a message: the error to throw.</summary>
    private Exception EndedInsideMessage()
    {
        ResetAccumulation();
        return _failure is { } failure ? new ConnectionLostException(failure) : new IOException($"Channel {Id} ended inside a message.");
    }

    private MessageMark? PeekMark()
    {
        lock (_marks)
        {
            return _marks.TryPeek(out var mark) ? mark : null;
        }
    }

    /// <summary>
    /// Takes the next message boundary if everything before it is already consumed. Readers check this before they
    /// wait: the wake-up that announced a boundary without new bytes may have been taken by an earlier read.
    /// </summary>
    private bool TryTakeReachedMark(out MessageMark mark)
    {
        lock (_marks)
        {
            if (_marks.TryPeek(out mark) && mark.End == _consumed)
            {
                _marks.Dequeue();
                return true;
            }

            return false;
        }
    }

    private void DequeueMark()
    {
        lock (_marks)
        {
            _marks.Dequeue();
        }
    }

    private void Consume(ReadOnlySequence<byte> buffer, long length)
    {
        InboundPipe.Reader.AdvanceTo(buffer.GetPosition(length));
        _consumed += length;
        ReturnCredit(length);
    }

    private void ReturnCredit(long length)
    {
        // Return credit in batches of a quarter window: few CREDIT frames, and the sender never runs dry.
        var unreported = Interlocked.Add(ref _unreportedCredit, length);
        if (unreported >= _receiveWindow / 4)
        {
            var grant = (int)Interlocked.Exchange(ref _unreportedCredit, 0);
            Interlocked.Add(ref _receiveWindowRemaining, grant);
            _connection.GrantCredit(this, grant);
        }
    }

    private void Append(ReadOnlySequence<byte> bytes)
    {
        var needed = _accumulatedLength + (int)bytes.Length;
        if (_accumulated is null || _accumulated.Length < needed)
        {
            var capacity = Math.Max(needed, Math.Max(_receiveWindow, (int)Math.Min(Array.MaxLength, (_accumulated?.Length ?? 0) * 2L)));
            var bigger = ArrayPool<byte>.Shared.Rent(capacity);
            if (_accumulated is not null)
            {
                _accumulated.AsSpan(0, _accumulatedLength).CopyTo(bigger);
                ArrayPool<byte>.Shared.Return(_accumulated);
            }

            _accumulated = bigger;
        }

        bytes.CopyTo(_accumulated.AsSpan(_accumulatedLength));
        _accumulatedLength = needed;
    }

    private void ResetAccumulation()
    {
        if (_accumulated is not null)
        {
            ArrayPool<byte>.Shared.Return(_accumulated);
            _accumulated = null;
            _accumulatedLength = 0;
        }
    }

    private void DiscardInbound()
    {
        lock (_marks)
        {
            if (_discarding)
            {
                return;
            }

            _discarding = true;

            // Whatever sits unread in the pipe is released: the peer gets that window back.
            ReturnCredit(_written - _consumed);
            _outstandingToken = 0;
            ResetAccumulation();
            InboundPipe.Reader.Complete();
        }
    }

    private void Flush()
    {
        var flush = InboundPipe.Writer.FlushAsync();

        // With no pause threshold a flush always completes synchronously; observe it anyway.
        if (flush.IsCompleted)
        {
            flush.GetAwaiter().GetResult();
        }
        else
        {
            flush.AsTask().GetAwaiter().GetResult();
        }
    }

    private readonly record struct MessageMark(long End, bool Aborted);
}
