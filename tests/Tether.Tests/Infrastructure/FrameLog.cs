using Tether.Framing;

namespace Tether.Tests.Infrastructure;

/// <summary>Decodes a recorded byte stream (preamble first) into the list of frames it holds.</summary>
internal sealed class FrameLog : IFrameSink
{
    private readonly List<(FrameHeader Header, byte[] Payload)> _frames = [];
    private FrameHeader _data;
    private readonly List<byte> _payload = [];

    public Handshake? Handshake { get; private set; }

    public IReadOnlyList<(FrameHeader Header, byte[] Payload)> Frames => _frames;

    public static FrameLog Decode(byte[] stream, int maxPayload = 16 * 1024 * 1024 - 1)
    {
        var log = new FrameLog();
        new FrameDecoder(maxPayload).Decode(stream, log);
        return log;
    }

    public void OnHandshake(Handshake handshake) => Handshake = handshake;

    public void OnDataStart(FrameHeader header)
    {
        _data = header;
        _payload.Clear();
    }

    public void OnDataPayload(ReadOnlySpan<byte> payload) => _payload.AddRange(payload.ToArray());

    public void OnDataEnd() => _frames.Add((_data, [.. _payload]));

    public void OnControl(FrameHeader header, ReadOnlySpan<byte> payload) => _frames.Add((header, payload.ToArray()));
}
