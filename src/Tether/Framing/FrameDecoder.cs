namespace Tether.Framing;

/// <summary>
/// Push decoder for the native wire format: feed it whatever the socket returned, at any byte boundary. It buffers
/// only a partial header or control frame (at most <see cref="MaxControlPayload"/> bytes, checked before buffering);
/// DATA payloads stream straight to the sink, so no allocation is ever sized by a length read from the wire.
/// </summary>
internal sealed class FrameDecoder
{
    /// <summary>Largest CLOSE payload: 1-byte code and up to 1024 bytes of UTF-8 reason.</summary>
    public const int MaxControlPayload = 1 + MaxCloseReasonBytes;

    /// <summary>Largest UTF-8 reason in a CLOSE frame.</summary>
    public const int MaxCloseReasonBytes = 1024;

    private readonly int _maxDataPayload;
    private byte[] _partial = new byte[Handshake.Size];
    private int _partialCount;
    private State _state = State.Handshake;
    private FrameHeader _header;
    private int _remaining;

    public FrameDecoder(int maxDataPayload)
    {
        _maxDataPayload = maxDataPayload;
    }

    private enum State
    {
        Handshake,
        Header,
        ControlPayload,
        DataPayload,
    }

    /// <summary>True while a frame (or the preamble) has started and not finished: end of stream now means truncation.</summary>
    public bool IsMidFrame => _state is State.ControlPayload or State.DataPayload || _partialCount > 0;

    /// <summary>True once the preamble was decoded.</summary>
    public bool HandshakeDone => _state != State.Handshake;

    /// <summary>True once <see cref="Stop"/> was called: further input is ignored.</summary>
    public bool Stopped { get; private set; }

    /// <summary>Ignores everything after the current frame (the peer sent CLOSE).</summary>
    public void Stop() => Stopped = true;

    /// <summary>Decodes all of <paramref name="input"/>, calling <paramref name="sink"/> for each element.</summary>
    /// <exception cref="ProtocolViolationException">The bytes break the protocol.</exception>
    public void Decode(ReadOnlySpan<byte> input, IFrameSink sink)
    {
        while (!input.IsEmpty && !Stopped)
        {
            switch (_state)
            {
                case State.Handshake:
                    if (Accumulate(ref input, Handshake.Size, out var preamble))
                    {
                        _state = State.Header;
                        sink.OnHandshake(Handshake.Parse(preamble));
                    }

                    break;

                case State.Header:
                    if (Accumulate(ref input, FrameHeader.Size, out var headerBytes))
                    {
                        OnHeader(FrameHeader.Read(headerBytes, out var rawLength), rawLength, sink);
                    }

                    break;

                case State.ControlPayload:
                    if (Accumulate(ref input, _header.Length, out var payload))
                    {
                        _state = State.Header;
                        sink.OnControl(_header, payload);
                    }

                    break;

                case State.DataPayload:
                    var take = Math.Min(_remaining, input.Length);
                    _remaining -= take;
                    sink.OnDataPayload(input[..take]);
                    input = input[take..];
                    if (_remaining == 0)
                    {
                        _state = State.Header;
                        sink.OnDataEnd();
                    }

                    break;
            }
        }
    }

    private void OnHeader(FrameHeader header, uint rawLength, IFrameSink sink)
    {
        Validate(header, rawLength);
        _header = header;
        if (header.Type == FrameType.Data)
        {
            sink.OnDataStart(header);
            if (header.Length == 0)
            {
                sink.OnDataEnd();
            }
            else
            {
                _remaining = header.Length;
                _state = State.DataPayload;
            }
        }
        else if (header.Length == 0)
        {
            sink.OnControl(header, []);
        }
        else
        {
            _state = State.ControlPayload;
        }
    }

    private void Validate(FrameHeader header, uint rawLength)
    {
        switch (header.Type)
        {
            case FrameType.Data:
                if (rawLength > (uint)_maxDataPayload)
                {
                    throw Violation(header, $"DATA length {rawLength} exceeds the advertised maximum frame payload {_maxDataPayload}");
                }

                if ((header.Flags & ~(FrameFlags.EndOfMessage | FrameFlags.AbortMessage)) != 0)
                {
                    throw Violation(header, $"DATA has unknown flags 0x{(byte)header.Flags:x2}");
                }

                if ((header.Flags & FrameFlags.AbortMessage) != 0 && (header.Flags != FrameFlags.AbortMessage || rawLength != 0))
                {
                    throw Violation(header, "DATA with ABORT must be empty and carry no other flag");
                }

                return;

            case FrameType.Credit:
                RequireShape(header, rawLength, exactLength: 4, connectionLevel: false);
                return;

            case FrameType.Ping:
            case FrameType.Pong:
                RequireShape(header, rawLength, exactLength: 8, connectionLevel: true);
                return;

            case FrameType.ChannelClose:
                RequireShape(header, rawLength, exactLength: 0, connectionLevel: false);
                return;

            case FrameType.Close:
                if (rawLength is < 1 or > MaxControlPayload)
                {
                    throw Violation(header, $"CLOSE length {rawLength} is outside 1..{MaxControlPayload}");
                }

                RequireShape(header, rawLength, exactLength: (int)rawLength, connectionLevel: true);
                return;

            default:
                throw Violation(header, $"unknown frame type 0x{(byte)header.Type:x2}");
        }
    }

    private static void RequireShape(FrameHeader header, uint rawLength, int exactLength, bool connectionLevel)
    {
        if (rawLength != (uint)exactLength)
        {
            throw Violation(header, $"{header.Type} length must be {exactLength}, got {rawLength}");
        }

        if (header.Flags != FrameFlags.None)
        {
            throw Violation(header, $"{header.Type} has unknown flags 0x{(byte)header.Flags:x2}");
        }

        if (connectionLevel && header.Channel != 0)
        {
            throw Violation(header, $"{header.Type} is connection-level but names channel {header.Channel}");
        }
    }

    private static ProtocolViolationException Violation(FrameHeader header, string detail) =>
        new($"{detail} (frame type 0x{(byte)header.Type:x2}, channel {header.Channel})");

    /// <summary>
    /// Collects exactly <paramref name="needed"/> bytes, from <paramref name="input"/> directly when they are all there
    /// and nothing is pending, otherwise through the partial buffer. <paramref name="needed"/> is always validated first.
    /// </summary>
    private bool Accumulate(ref ReadOnlySpan<byte> input, int needed, out ReadOnlySpan<byte> bytes)
    {
        if (_partialCount == 0 && input.Length >= needed)
        {
            bytes = input[..needed];
            input = input[needed..];
            return true;
        }

        if (_partial.Length < needed)
        {
            Array.Resize(ref _partial, Math.Max(needed, MaxControlPayload));
        }

        var take = Math.Min(needed - _partialCount, input.Length);
        input[..take].CopyTo(_partial.AsSpan(_partialCount));
        _partialCount += take;
        input = input[take..];
        if (_partialCount < needed)
        {
            bytes = default;
            return false;
        }

        _partialCount = 0;
        bytes = _partial.AsSpan(0, needed);
        return true;
    }
}
