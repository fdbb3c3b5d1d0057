using System.Buffers.Binary;
using System.Text;
using Tether.Diagnostics;
using Tether.Internal;

namespace Tether.Framing;

/// <summary>The receive loop and the decoder's sink: every inbound byte feeds liveness before it is parsed.</summary>
public sealed partial class TetherConnection : IFrameSink
{
    private TetherChannel? _dataTarget;
    private FrameFlags _dataFlags;
    private int _peerChannels;
    private bool _peerSentClose;

    private async Task ReceiveLoopAsync()
    {
        await Task.Yield(); // run on the thread pool, not inside EstablishAsync
        var size = _options.Transport.ReceiveBufferBytes;
        var token = _shutdownToken;
        try
        {
            while (Volatile.Read(ref _terminated) == 0)
            {
                // Wait with a zero-byte read: an idle connection holds no receive buffer. No cancellation token: the
                // teardown disposes the transport, which ends the wait, and an idle registration would cost memory.
                await _transport.WaitForDataAsync(CancellationToken.None).ConfigureAwait(false);
                var buffer = TetherMemoryPool.Arrays.Rent(size);
                try
                {
                    int read;
                    do
                    {
                        read = await _transport.ReceiveAsync(buffer.AsMemory(0, size), token).ConfigureAwait(false);
                        if (read == 0)
                        {
                            OnEndOfStream();
                            return;
                        }

                        // Any byte is proof of life, half a frame included.
                        _monitor.OnBytesReceived();
                        Interlocked.Add(ref _bytesReceived, read);
                        TetherMetrics.BytesReceived.Add(read);
                        _decoder.Decode(buffer.AsSpan(0, read), this);
                    }
                    while (read == size && _transport.HasBufferedData && Volatile.Read(ref _terminated) == 0);
                }
                finally
                {
                    TetherMemoryPool.Arrays.Return(buffer);
                }
            }
        }
        catch (ProtocolViolationException e)
        {
            Log.Violation(_logger, RemoteEndPoint, e.Message);
            Terminate(e.Reason, e.Message, TransportEnding.SendCloseFrame, CloseCode.ProtocolViolation);
        }
        catch (Exception) when (Volatile.Read(ref _terminated) != 0)
        {
            // The connection was already ended (and the transport closed) by another path.
        }
        catch (Exception e)
        {
            // After our CLOSE went out, whatever the transport reports is the tail of our own close.
            var (reason, detail) = _closing ? (DisconnectReason.LocalClose, "closed by this side") : ClassifyTransportError(e);
            Terminate(reason, detail, TransportEnding.Abort);
        }
        finally
        {
            EndInboundChannels();
        }
    }

    private void OnEndOfStream()
    {
        if (_closing)
        {
            // Our CLOSE went out; whatever the peer's last write looked like, this is the end of our own close.
            Terminate(DisconnectReason.LocalClose, "closed by this side", TransportEnding.Graceful);
        }
        else if (_transport.ClassifyEndOfStream() is { } abnormal)
        {
            // A reset or a kernel timeout cuts frames anywhere: that is not the peer breaking the protocol.
            var (reason, detail) = EarlyResetIsHandshakeFailure(abnormal);
            Terminate(reason, detail, TransportEnding.Abort);
        }
        else if (_decoder.IsMidFrame)
        {
            Terminate(DisconnectReason.ProtocolViolation, "the peer closed the connection inside a frame (truncated header or payload)", TransportEnding.Abort);
        }
        else if (!_decoder.HandshakeDone)
        {
            Terminate(DisconnectReason.HandshakeFailed, "the peer closed the connection before completing the handshake", TransportEnding.Abort);
        }
        else
        {
            Terminate(DisconnectReason.PeerClosed, "the peer closed the connection (FIN)", TransportEnding.Graceful);
        }
    }

    private void EndInboundChannels()
    {
        var disconnection = _disconnection ?? new Disconnection(DisconnectReason.TransportError, "receive loop ended", _monitor.Silence, BytesSent, BytesReceived);
        // Channels end cleanly only when the connection was closed on purpose (our close, or the peer's CLOSE frame);
        // a bare FIN is what a crashed peer's kernel sends, and readers must not mistake it for a finished stream.
        var graceful = disconnection.Reason == DisconnectReason.LocalClose || (disconnection.Reason == DisconnectReason.PeerClosed && _peerSentClose);
        TetherChannel[] channels;
        lock (_gate)
        {
            channels = [.. _channels.Values];
        }

        foreach (var channel in channels)
        {
            channel.OnConnectionEnded(disconnection, graceful);
        }
    }

    void IFrameSink.OnHandshake(Handshake handshake)
    {
        if (handshake.Role == Role)
        {
            throw new ProtocolViolationException(DisconnectReason.HandshakeFailed, $"both sides claim the {Role} role");
        }

        lock (_gate)
        {
            _peer = handshake;
            _chunkSize = Math.Min(_options.ChunkSize, handshake.MaxFramePayload);
            DefaultChannel.SendCredit = handshake.ChannelWindow;
        }

        _handshakeDone.TrySetResult();
    }

    void IFrameSink.OnDataStart(FrameHeader header)
    {
        var channel = GetOrAcceptChannel(header.Channel);
        channel.OnDataFrame(header.Length, _options.MaxMessageSize);
        _dataTarget = channel;
        _dataFlags = header.Flags;
    }

    void IFrameSink.OnDataPayload(ReadOnlySpan<byte> payload) => _dataTarget!.OnDataPayload(payload);

    void IFrameSink.OnDataEnd()
    {
        _dataTarget!.OnDataFrameEnd(_dataFlags);
        _dataTarget = null;
    }

    void IFrameSink.OnControl(FrameHeader header, ReadOnlySpan<byte> payload)
    {
        switch (header.Type)
        {
            case FrameType.Credit:
                OnCredit(header.Channel, BinaryPrimitives.ReadUInt32BigEndian(payload));
                break;
            case FrameType.Ping:
                QueuePong(BinaryPrimitives.ReadUInt64BigEndian(payload));
                break;
            case FrameType.Pong:
                OnPong(BinaryPrimitives.ReadUInt64BigEndian(payload));
                break;
            case FrameType.Close:
                var code = (CloseCode)payload[0];
                var text = Encoding.UTF8.GetString(payload[1..]);

                // Nothing after CLOSE counts, even bytes already read in the same buffer.
                _decoder.Stop();
                _peerSentClose = true;
                if (_closing)
                {
                    Terminate(DisconnectReason.LocalClose, $"closed by this side (the peer closed at the same time: {code})", TransportEnding.Graceful);
                }
                else
                {
                    Terminate(DisconnectReason.PeerClosed, $"the peer sent CLOSE ({code}): {text}", TransportEnding.Graceful);
                }

                break;
            case FrameType.ChannelClose:
                OnPeerChannelClose(header.Channel);
                break;
        }
    }

    private TetherChannel GetOrAcceptChannel(ushort id)
    {
        lock (_gate)
        {
            if (_channels.TryGetValue(id, out var channel))
            {
                return channel;
            }

            if (id == 0 || IsLocalChannelNumber(id))
            {
                throw new ProtocolViolationException($"DATA on channel {id}, which this side has not opened");
            }

            if (_peerChannels >= _options.MaxChannels)
            {
                throw new ProtocolViolationException($"the peer opened more than the {_options.MaxChannels} channels this side allows");
            }

            channel = new TetherChannel(this, id, openedByPeer: true, _options.ChannelWindow) { SendCredit = _peer.ChannelWindow };
            _channels.Add(id, channel);
            _peerChannels++;
            AcceptQueueLocked().Writer.TryWrite(channel);
            return channel;
        }
    }

    private void OnCredit(ushort id, uint increment)
    {
        if (increment == 0)
        {
            throw new ProtocolViolationException($"CREDIT of 0 bytes on channel {id}");
        }

        lock (_gate)
        {
            // A grant may race with the channel's close; credit for a channel that no longer exists is moot.
            if (!_channels.TryGetValue(id, out var channel))
            {
                return;
            }

            var credit = channel.SendCredit + increment;
            if (credit > int.MaxValue)
            {
                throw new ProtocolViolationException($"credit overflow on channel {id}: window would reach {credit} bytes (limit {int.MaxValue})");
            }

            channel.SendCredit = credit;
            MakeReadyLocked(channel);
        }

        WakeWriter(inline: true);
    }

    private void OnPeerChannelClose(ushort id)
    {
        TetherChannel? channel;
        lock (_gate)
        {
            if (!_channels.TryGetValue(id, out channel))
            {
                throw new ProtocolViolationException($"CHANNEL_CLOSE for channel {id}, which is not open");
            }
        }

        channel.OnPeerCompleted();
        lock (_gate)
        {
            if (channel.CompleteSent)
            {
                ForgetChannelLocked(channel);
            }
        }
    }

    /// <summary>Both directions of a channel are closed: free its number.</summary>
    private void ForgetChannelLocked(TetherChannel channel)
    {
        if (channel.Id == 0 || !_channels.TryGetValue(channel.Id, out var current) || !ReferenceEquals(current, channel))
        {
            return;
        }

        _channels.Remove(channel.Id);
        if (channel.OpenedByPeer)
        {
            _peerChannels--;
        }
        else
        {
            _localChannels--;
        }
    }
}
