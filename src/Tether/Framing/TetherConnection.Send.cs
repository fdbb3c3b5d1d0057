using System.Buffers;
using System.Buffers.Binary;
using System.Text.Unicode;
using Tether.Diagnostics;
using Tether.Internal;

namespace Tether.Framing;

/// <summary>
/// The write loop. Each socket write is one batch: first the priority lane (PONG, PING, CREDIT, CLOSE), then at most
/// one chunk's worth of DATA taken round-robin from the channels that have both data and credit. A control frame
/// therefore waits for at most one chunk, never behind a whole large message.
/// </summary>
public sealed partial class TetherConnection
{
    private const int ControlRoom = 2048;
    private const int CreditFrameSize = FrameHeader.Size + 4;
    private const int PingFrameSize = FrameHeader.Size + 8;

    private readonly AsyncAutoResetSignal _writeSignal = new();
    private readonly FreeList<PendingSend> _sendPool = new(capacity: 64); // uncancellable pieces, reused once written
    private readonly Queue<TetherChannel> _ready = new();
    private readonly Queue<TetherChannel> _creditQueue = new();
    private readonly TaskCompletionSource _closeFrameWritten = new(TaskCreationOptions.RunContinuationsAsynchronously);
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
        Enqueue(channel, pending, cancellationToken);
        return pending.AsValueTask();
    }

    /// <summary>
    /// Queues a whole message nobody will await: <paramref name="owner"/> is disposed once the bytes are written or
    /// the send failed. Used by layers above that send many small messages and only need their buffers back.
    /// </summary>
    internal void EnqueueDetachedSend(TetherChannel channel, ReadOnlyMemory<byte> message, IDisposable owner)
    {
        var pending = _sendPool.TryTake() ?? new PendingSend();
        pending.Owner = owner;
        pending.Initialize(_sendPool, channel, new ReadOnlySequence<byte>(message), endOfMessage: true, CancellationToken.None);
        Enqueue(channel, pending, CancellationToken.None);
    }

    private void Enqueue(TetherChannel channel, PendingSend pending, CancellationToken cancellationToken)
    {
        // Register before queueing: a cancellation that lands first just withdraws the piece, and no callback can
        // outlive the piece's completion.
        pending.RegisterCancellation(static state => ((PendingSend)state!).Channel.Connection.OnSendCanceled((PendingSend)state), cancellationToken);
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
        }

        _writeSignal.Set();
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

        _writeSignal.Set();
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

        _writeSignal.Set();
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

        _writeSignal.Set();
    }

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

        _writeSignal.Set();
    }

    private void QueuePong(ulong echo)
    {
        // At most one PONG waits: a peer that floods PINGs while we cannot write gets the latest echo, not a queue.
        lock (_gate)
        {
            _pongValue = echo;
            _pongQueued = true;
        }

        _writeSignal.Set();
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
        _writeSignal.Set();
    }

    private void MakeReadyLocked(TetherChannel channel)
    {
        if (!channel.InReadyQueue && channel.HasWritableWork)
        {
            channel.InReadyQueue = true;
            _ready.Enqueue(channel);
        }
    }

    private async Task WriteLoopAsync()
    {
        await Task.Yield(); // run on the thread pool, not inside EstablishAsync
        var token = _shutdown.Token;
        var completed = new List<PendingSend>();
        var bufferSize = Handshake.Size + FrameHeader.Size + _options.ChunkSize + ControlRoom;
        try
        {
            while (true)
            {
                // No cancellation token on the idle wait (a registration per connection costs memory): the teardown
                // sets the signal after cancelling, and the loop looks at the token when it wakes.
                await _writeSignal.WaitAsync().ConfigureAwait(false);
                token.ThrowIfCancellationRequested();

                // The batch buffer is rented per burst and returned when there is nothing to write: idle connections
                // hold none. Batches of only the preamble and heartbeats use a small array of the connection's own,
                // because the socket keeps a reference to the last buffer it sent, and an idle connection should not
                // pin a pooled 64 KiB.
                byte[]? rented = null;
                try
                {
                    while (true)
                    {
                        int length;
                        bool closeWritten;
                        byte[] buffer;
                        lock (_gate)
                        {
                            var heartbeatOnly = _ready.Count == 0 && _creditQueue.Count == 0 && !_closeQueued;
                            buffer = heartbeatOnly ? (_heartbeatBuffer ??= new byte[Handshake.Size + (2 * PingFrameSize)]) : (rented ??= TetherMemoryPool.Arrays.Rent(bufferSize));
                            length = FillBatchLocked(buffer.AsSpan(0, heartbeatOnly ? buffer.Length : bufferSize), completed, out closeWritten);
                            if (length == 0 && _drainWaiter is not null && NothingQueuedLocked())
                            {
                                _drainWaiter.TrySetResult();
                            }
                        }

                        if (length == 0)
                        {
                            break;
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
                            _transport.ShutdownSend();
                            _closeFrameWritten.TrySetResult();
                            return;
                        }
                    }
                }
                finally
                {
                    if (rented is not null)
                    {
                        TetherMemoryPool.Arrays.Return(rented);
                    }
                }
            }
        }
        catch (Exception) when (Volatile.Read(ref _terminated) != 0 || token.IsCancellationRequested)
        {
            // Ended by the teardown.
        }
        catch (Exception e)
        {
            var (reason, detail) = ClassifyTransportError(e);
            Terminate(reason, detail, TransportEnding.Abort);
        }
        finally
        {
            if (completed.Count > 0)
            {
                var error = new ConnectionLostException(_disconnection!);
                foreach (var pending in completed)
                {
                    pending.TryComplete(error);
                }
            }

            _closeFrameWritten.TrySetResult();
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
}
