using System.Buffers;
using System.Buffers.Binary;
using System.Text.Unicode;
using Tether.Diagnostics;
using Tether.Internal;

namespace Tether.Framing;

/// <summary>
/// The writer. Each socket write is one batch: first the priority lane (PONG, PING, CREDIT, CLOSE), then at most one
/// chunk's worth of DATA taken round-robin from the channels that have both data and credit. A control frame therefore
/// waits for at most one chunk, never behind a whole large message.
/// </summary>
/// <remarks>
/// There is no write loop parked on a signal: whoever queues work while nobody is writing takes the writer role and
/// writes the first batch itself, which is one non-blocking socket write. That saves the hand-off to another thread on
/// the small-message path (a call, its answer, a PONG). Anything more, or a write the socket cannot take at once,
/// continues on the thread pool. The heartbeat's PINGs and cancellation callbacks always hand off.
/// </remarks>
public sealed partial class TetherConnection
{
    private const int ControlRoom = 2048;
    private const int CreditFrameSize = FrameHeader.Size + 4;
    private const int PingFrameSize = FrameHeader.Size + 8;

    // One batch at most is written on the thread that queued the work; the rest continues on the thread pool.
    private const int InlineBatches = 1;

    private readonly FreeList<PendingSend> _sendPool = new(capacity: 64); // uncancellable pieces, reused once written
    private readonly Queue<TetherChannel> _ready = new();
    private readonly Queue<TetherChannel> _creditQueue = new();
    private readonly TaskCompletionSource _closeFrameWritten = new(TaskCreationOptions.RunContinuationsAsynchronously);
    [ThreadStatic]
    private static TetherConnection? t_holder; // the connection whose writes this thread holds (see HoldWrites)

    [ThreadStatic]
    private static bool t_held; // this thread queued something while holding

    private int _chunkSize;
    private byte[]? _heartbeatBuffer;
    private WriteBudget _writeBudget;
    private bool _preambleSent;
    private bool _pingQueued;
    private bool _pongQueued;
    private ulong _pongValue;
    private bool _closeQueued;
    private CloseCode _closeCode;
    private string _closeReason = string.Empty;
    private TaskCompletionSource? _drainWaiter;
    private bool _writerBusy = true; // the writer role, held from construction until Start hands it to the first write
    private bool _writerStopped;
    private TaskCompletionSource? _writerIdle;
    private List<PendingSend>? _writtenPieces; // the role holder's: pieces of the batch being written
    private WriterWorkItem? _writerWorkItem;
    private ushort _nextLocalChannel;
    private int _localChannels;

    internal ValueTask EnqueueSend(TetherChannel channel, ReadOnlySequence<byte> data, bool endOfMessage, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        var pending = cancellationToken.CanBeCanceled ? new PendingSend() : _sendPool.TryTake() ?? new PendingSend();
        pending.Initialize(_sendPool, channel, data, endOfMessage, cancellationToken);
        Enqueue(channel, pending, writeNow: true, cancellationToken);
        return pending.AsValueTask();
    }

    /// <summary>
    /// Queues a whole message nobody will await: <paramref name="owner"/> is disposed once the bytes are written or
    /// the send failed. Used by layers above that send many small messages and only need their buffers back.
    /// </summary>
    /// <param name="channel">The channel.</param>
    /// <param name="message">The whole message.</param>
    /// <param name="owner">What holds the message's bytes.</param>
    /// <param name="writeNow">
    /// True to write at once on this thread if no write is in progress (the quickest way out for a lone message); false
    /// to leave the write to the thread pool, which by the time it runs has often gathered more messages for the same
    /// socket write (the better choice when the sender knows others are sending too).
    /// </param>
    internal void EnqueueDetachedSend(TetherChannel channel, ReadOnlyMemory<byte> message, IDisposable owner, bool writeNow)
    {
        var pending = _sendPool.TryTake() ?? new PendingSend();
        pending.Owner = owner;
        pending.Initialize(_sendPool, channel, new ReadOnlySequence<byte>(message), endOfMessage: true, CancellationToken.None);
        Enqueue(channel, pending, writeNow, CancellationToken.None);
    }

    /// <summary>
    /// Until <see cref="ReleaseHeldWrites"/>, messages this thread queues on this connection are not written: they wait
    /// to go out together. A reader that answers a run of messages already received holds the writes while it handles
    /// them, so the answers share socket writes. Must be released before the thread awaits or returns to the pool.
    /// </summary>
    internal void HoldWrites() => t_holder = this;

    /// <summary>Ends <see cref="HoldWrites"/> and writes what was held (its first batch on this thread).</summary>
    internal void ReleaseHeldWrites()
    {
        if (t_holder != this)
        {
            return;
        }

        t_holder = null;
        if (t_held)
        {
            t_held = false;
            WakeWriter(inline: true);
        }
    }

    private void Enqueue(TetherChannel channel, PendingSend pending, bool writeNow, CancellationToken cancellationToken)
    {
        // Register before queueing: a cancellation that lands first just withdraws the piece, and no callback can
        // outlive the piece's completion.
        pending.RegisterCancellation(static state => ((PendingSend)state!).Channel.Connection.OnSendCanceled((PendingSend)state), cancellationToken);
        bool start;
        lock (_gate)
        {
            if (pending.Withdrawn)
            {
                return;
            }

            Exception? refused = _disconnection is { } d ? new ConnectionLostException(d)
                : _closing ? new InvalidOperationException("The connection is closing.")
                : channel.CompleteRequested ? new InvalidOperationException($"Channel {channel.Id} was completed; nothing more can be sent on it.")
                : null;
            if (refused is not null)
            {
                pending.TryComplete(refused);
                return;
            }

            channel.SendQueue.Enqueue(pending);
            MakeReadyLocked(channel);
            if (t_holder == this)
            {
                t_held = true;
                return;
            }

            start = TryTakeWriterLocked();
        }

        if (start)
        {
            StartWriter(writeNow);
        }
    }

    /// <summary>A stream send failed midway: drop what is queued on the channel and abort its open message.</summary>
    internal void EnqueueAbort(TetherChannel channel)
    {
        List<PendingSend> dropped = [];
        lock (_gate)
        {
            foreach (var pending in channel.SendQueue)
            {
                // Whole messages queued before the stream are single pieces that end their message; leave them be.
                if (pending.EndOfMessage || pending.Withdrawn || pending.AbortRequested)
                {
                    continue;
                }

                if (pending.Remaining != pending.Data.Length)
                {
                    pending.AbortRequested = true;
                }
                else
                {
                    pending.Withdrawn = true;
                }

                dropped.Add(pending);
            }

            channel.AbortPending = true;
            MakeReadyLocked(channel);
        }

        foreach (var pending in dropped)
        {
            pending.TryComplete(new OperationCanceledException("The message was aborted."));
        }

        WakeWriter(inline: true);
    }

    internal void CompleteChannel(TetherChannel channel)
    {
        lock (_gate)
        {
            if (channel.CompleteRequested || _disconnection is not null)
            {
                return;
            }

            channel.CompleteRequested = true;
            MakeReadyLocked(channel);
        }

        WakeWriter(inline: true);
    }

    /// <summary>The application consumed <paramref name="amount"/> bytes on a channel: tell the peer (coalesced per channel).</summary>
    internal void GrantCredit(TetherChannel channel, int amount)
    {
        lock (_gate)
        {
            // Once the peer closed its side it sends nothing more, so credit is moot (and the number may be reused).
            if (_disconnection is not null || channel.InboundEnded)
            {
                return;
            }

            channel.CreditToGrant += amount;
            if (!channel.CreditQueued)
            {
                channel.CreditQueued = true;
                _creditQueue.Enqueue(channel);
            }
        }

        WakeWriter(inline: true);
    }

    /// <summary>Queues a PING. It is written from the thread pool: the heartbeat's tick must not make socket calls.</summary>
    private void QueuePing()
    {
        lock (_gate)
        {
            if (_disconnection is not null)
            {
                return;
            }

            _pingQueued = true;
        }

        WakeWriter(inline: false);
    }

    /// <summary>Queues a PONG and, if no write is in progress, writes it at once from the receive loop (one small write).</summary>
    private void QueuePong(ulong echo)
    {
        // At most one PONG waits: a peer that floods PINGs while we cannot write gets the latest echo, not a queue.
        lock (_gate)
        {
            _pongValue = echo;
            _pongQueued = true;
        }

        WakeWriter(inline: true);
    }

    private void OnSendCanceled(PendingSend pending)
    {
        lock (_gate)
        {
            if (pending.Dequeued || _disconnection is not null)
            {
                return; // already written in full (its completion is on the way) or failed by the teardown
            }

            if (pending.Remaining == pending.Data.Length)
            {
                pending.Withdrawn = true;
            }
            else
            {
                pending.AbortRequested = true;
            }

            // Either way the writer must visit the channel to drop the piece, even if it has no credit.
            MakeReadyLocked(pending.Channel);
        }

        pending.TryComplete(new OperationCanceledException(pending.CancellationToken));
        WakeWriter(inline: false); // not inside whoever cancelled the token
    }

    private void MakeReadyLocked(TetherChannel channel)
    {
        if (!channel.InReadyQueue && channel.HasWritableWork)
        {
            channel.InReadyQueue = true;
            _ready.Enqueue(channel);
        }
    }

    /// <summary>
    /// Makes sure somebody writes what was just queued. If nobody holds the writer role, the caller takes it and either
    /// writes one batch on its own thread (<paramref name="inline"/>) or hands the writing to the thread pool. The send
    /// path (<see cref="Enqueue"/>) takes the role inside its own lock instead, to save a second lock per message.
    /// </summary>
    private void WakeWriter(bool inline)
    {
        bool taken;
        lock (_gate)
        {
            taken = TryTakeWriterLocked();
        }

        if (taken)
        {
            StartWriter(inline);
        }
    }

    /// <summary>
    /// Takes the writer role (under <c>_gate</c>). Its holder writes until a batch comes out empty and gives the role up
    /// under the same lock, so work queued under the lock is either seen by the holder or finds the role free.
    /// </summary>
    private bool TryTakeWriterLocked()
    {
        if (_writerBusy)
        {
            return false;
        }

        _writerBusy = true;
        return true;
    }

    private void StartWriter(bool inline)
    {
        if (inline)
        {
            _ = WriteAsync(InlineBatches);
        }
        else
        {
            ThreadPool.UnsafeQueueUserWorkItem(_writerWorkItem ??= new WriterWorkItem(this), preferLocal: false);
        }
    }

    /// <summary>
    /// Writes batches while there is something to write; run by the holder of the writer role. Started inline it writes
    /// at most <paramref name="batchesBeforeHandOff"/> batches on the caller's thread (a non-blocking socket write of at
    /// most one chunk each, so the receive loop or a sender is never held up for long), and moves to the thread pool if
    /// more is queued or a write has to wait for the socket.
    /// </summary>
    private async Task WriteAsync(int batchesBeforeHandOff)
    {
        var token = _shutdownToken;
        var completed = _writtenPieces ??= [];
        var bufferSize = Handshake.Size + FrameHeader.Size + _options.ChunkSize + ControlRoom;
        var stopped = false;

        // The batch buffer is rented per burst and returned when there is nothing to write: idle connections hold none.
        // Batches of only the preamble and heartbeats use a small array of the connection's own, because the socket
        // keeps a reference to the last buffer it sent, and an idle connection should not pin a pooled 64 KiB.
        byte[]? rented = null;
        try
        {
            for (var batch = 0; ; batch++)
            {
                int length;
                bool closeWritten;
                byte[] buffer;
                lock (_gate)
                {
                    if (token.IsCancellationRequested)
                    {
                        stopped = true;
                        return;
                    }

                    var heartbeatOnly = _ready.Count == 0 && _creditQueue.Count == 0 && !_closeQueued;
                    buffer = heartbeatOnly ? (_heartbeatBuffer ??= new byte[Handshake.Size + (2 * PingFrameSize)]) : (rented ??= TetherMemoryPool.Arrays.Rent(bufferSize));
                    length = FillBatchLocked(buffer.AsSpan(0, heartbeatOnly ? buffer.Length : bufferSize), completed, out closeWritten);
                    if (length == 0)
                    {
                        if (_drainWaiter is not null && NothingQueuedLocked())
                        {
                            _drainWaiter.TrySetResult();
                        }

                        ReleaseWriterLocked();
                        return;
                    }
                }

                if (batch == batchesBeforeHandOff)
                {
                    // Enough for the caller's thread: this batch and the rest are written from the thread pool.
                    await default(ThreadPoolHop);
                }

                var started = _time.GetTimestamp();
                await _transport.SendAsync(buffer.AsMemory(0, length), token).ConfigureAwait(false);
                _writeBudget.Observe(length, _time.GetElapsedTime(started));
                _monitor.OnBytesSent();
                Interlocked.Add(ref _bytesSent, length);
                TetherMetrics.BytesSent.Add(length);
                foreach (var pending in completed)
                {
                    pending.TryComplete(null);
                }

                completed.Clear();
                if (closeWritten)
                {
                    // Nothing follows CLOSE: end the outbound direction in order, after it.
                    stopped = true;
                    _transport.ShutdownSend();
                    return;
                }
            }
        }
        catch (Exception) when (Volatile.Read(ref _terminated) != 0 || token.IsCancellationRequested)
        {
            // Ended by the teardown.
            stopped = true;
        }
        catch (Exception e)
        {
            stopped = true;
            var (reason, detail) = ClassifyTransportError(e);
            Terminate(reason, detail, TransportEnding.Abort);
        }
        finally
        {
            if (rented is not null)
            {
                TetherMemoryPool.Arrays.Return(rented);
            }

            if (completed.Count > 0)
            {
                var error = new ConnectionLostException(_disconnection!);
                foreach (var pending in completed)
                {
                    pending.TryComplete(error);
                }

                completed.Clear();
            }

            if (stopped)
            {
                // The writer keeps its role for good: nothing is written after CLOSE, a failed write or the teardown.
                _closeFrameWritten.TrySetResult();
                lock (_gate)
                {
                    _writerStopped = true;
                    ReleaseWriterWaiterLocked();
                }
            }
        }
    }

    private void ReleaseWriterLocked()
    {
        _writerBusy = false;
        ReleaseWriterWaiterLocked();
    }

    private void ReleaseWriterWaiterLocked()
    {
        _writerIdle?.TrySetResult();
        _writerIdle = null;
    }

    /// <summary>Completes when no write is in progress (after the teardown: when the last one has given up).</summary>
    private Task WriterIdleAsync()
    {
        lock (_gate)
        {
            return _writerBusy && !_writerStopped
                ? (_writerIdle ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task
                : Task.CompletedTask;
        }
    }

    private int FillBatchLocked(Span<byte> buffer, List<PendingSend> completed, out bool closeWritten)
    {
        closeWritten = false;
        var used = 0;
        if (!_preambleSent)
        {
            new Handshake(Handshake.CurrentVersion, Role, _options.MaxFramePayload, _options.ChannelWindow, _options.MaxMessageSize, _options.MaxChannels).Write(buffer);
            used = Handshake.Size;
            _preambleSent = true;
        }

        // Priority lane.
        if (_pongQueued)
        {
            used += WriteU64Frame(buffer[used..], FrameType.Pong, _pongValue);
            _pongQueued = false;
        }

        if (_pingQueued)
        {
            // The echo is our clock at write time; the PONG that returns it gives the round trip.
            used += WriteU64Frame(buffer[used..], FrameType.Ping, unchecked((ulong)_time.GetTimestamp() + _echoOffset));
            _pingQueued = false;
        }

        while (buffer.Length - used >= CreditFrameSize + ControlRoom / 2 && _creditQueue.TryDequeue(out var credited))
        {
            credited.CreditQueued = false;
            if (credited.InboundEnded || !_channels.TryGetValue(credited.Id, out var current) || !ReferenceEquals(current, credited))
            {
                credited.CreditToGrant = 0;
                continue;
            }

            new FrameHeader(4, FrameType.Credit, FrameFlags.None, credited.Id).Write(buffer[used..]);
            BinaryPrimitives.WriteUInt32BigEndian(buffer[(used + FrameHeader.Size)..], (uint)credited.CreditToGrant);
            used += CreditFrameSize;
            credited.CreditToGrant = 0;
        }

        if (_closeQueued && buffer.Length - used >= FrameHeader.Size + FrameDecoder.MaxControlPayload)
        {
            used += WriteCloseFrame(buffer[used..]);
            _closeQueued = false;
            closeWritten = true;
            return used;
        }

        if (_disconnection is not null)
        {
            return used;
        }

        // Data lane: one chunk's worth (less on a slow link), round-robin across ready channels.
        var budget = _writeBudget.Next(_chunkSize);
        while (budget > 0 && buffer.Length - used > FrameHeader.Size && _ready.TryDequeue(out var channel))
        {
            channel.InReadyQueue = false;
            used += WriteFromChannelLocked(channel, buffer[used..], ref budget, completed);
            MakeReadyLocked(channel);
        }

        return used;
    }

    /// <summary>Writes at most one DATA frame (plus any bookkeeping frames) for <paramref name="channel"/>.</summary>
    private int WriteFromChannelLocked(TetherChannel channel, Span<byte> buffer, ref int budget, List<PendingSend> completed)
    {
        var used = 0;
        while (buffer.Length - used >= FrameHeader.Size)
        {
            if (channel.AbortPending)
            {
                channel.AbortPending = false;
                used += WriteAbortIfOpen(channel, buffer[used..]);
                continue;
            }

            if (!channel.SendQueue.TryPeek(out var pending))
            {
                if (channel.CompleteRequested && !channel.CompleteSent)
                {
                    channel.CompleteSent = true;
                    if (channel.AnnouncedToPeer || channel.OpenedByPeer || channel.Id == 0)
                    {
                        new FrameHeader(0, FrameType.ChannelClose, FrameFlags.None, channel.Id).Write(buffer[used..]);
                        used += FrameHeader.Size;
                        if (channel.InboundEnded)
                        {
                            ForgetChannelLocked(channel);
                        }
                    }
                    else
                    {
                        // The peer never heard of this channel: there is nothing to close on the wire.
                        ForgetChannelLocked(channel);
                    }
                }

                return used;
            }

            if (pending.Withdrawn || pending.AbortRequested)
            {
                channel.SendQueue.Dequeue();
                pending.Dequeued = true;
                if (pending.AbortRequested)
                {
                    used += WriteAbortIfOpen(channel, buffer[used..]);
                }

                continue;
            }

            if (pending.Remaining == 0)
            {
                channel.SendQueue.Dequeue();
                pending.Dequeued = true;
                completed.Add(pending);
                if (pending.EndOfMessage)
                {
                    new FrameHeader(0, FrameType.Data, FrameFlags.EndOfMessage, channel.Id).Write(buffer[used..]);
                    used += FrameHeader.Size;
                    channel.OutboundMessageOpen = false;
                    channel.AnnouncedToPeer = true;
                }

                return used;
            }

            var room = buffer.Length - used - FrameHeader.Size;
            var length = (int)Math.Min(Math.Min(pending.Remaining, channel.SendCredit), Math.Min(Math.Min(_chunkSize, budget), room));
            if (length <= 0)
            {
                return used;
            }

            var last = length == pending.Remaining;
            var flags = last && pending.EndOfMessage ? FrameFlags.EndOfMessage : FrameFlags.None;
            new FrameHeader(length, FrameType.Data, flags, channel.Id).Write(buffer[used..]);
            var slice = pending.Data.Slice(pending.Position, length);
            slice.CopyTo(buffer[(used + FrameHeader.Size)..]);
            pending.Position = slice.End;
            pending.Remaining -= length;
            channel.SendCredit -= length;
            channel.OutboundMessageOpen = flags == FrameFlags.None;
            channel.AnnouncedToPeer = true;
            budget -= length;
            used += FrameHeader.Size + length;
            if (last)
            {
                channel.SendQueue.Dequeue();
                pending.Dequeued = true;
                completed.Add(pending);
            }

            return used;
        }

        return used;
    }

    private static int WriteAbortIfOpen(TetherChannel channel, Span<byte> buffer)
    {
        if (!channel.OutboundMessageOpen)
        {
            return 0;
        }

        new FrameHeader(0, FrameType.Data, FrameFlags.AbortMessage, channel.Id).Write(buffer);
        channel.OutboundMessageOpen = false;
        return FrameHeader.Size;
    }

    private static int WriteU64Frame(Span<byte> buffer, FrameType type, ulong value)
    {
        new FrameHeader(8, type, FrameFlags.None, 0).Write(buffer);
        BinaryPrimitives.WriteUInt64BigEndian(buffer[FrameHeader.Size..], value);
        return PingFrameSize;
    }

    private int WriteCloseFrame(Span<byte> buffer)
    {
        // Fits as much of the reason as 1024 UTF-8 bytes hold, cut at a character boundary.
        var text = buffer.Slice(FrameHeader.Size + 1, FrameDecoder.MaxCloseReasonBytes);
        Utf8.FromUtf16(_closeReason, text, out _, out var reasonBytes);
        new FrameHeader(1 + reasonBytes, FrameType.Close, FrameFlags.None, 0).Write(buffer);
        buffer[FrameHeader.Size] = (byte)_closeCode;
        return FrameHeader.Size + 1 + reasonBytes;
    }

    private bool NothingQueuedLocked()
    {
        foreach (var channel in _channels.Values)
        {
            if (channel.SendQueue.Count > 0 || channel.AbortPending || (channel.CompleteRequested && !channel.CompleteSent))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Runs the writer on the thread pool; one per connection, created when first needed.</summary>
    private sealed class WriterWorkItem(TetherConnection connection) : IThreadPoolWorkItem
    {
        public void Execute() => _ = connection.WriteAsync(int.MaxValue);
    }
}
