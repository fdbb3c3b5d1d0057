using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Tether.Framing;

namespace Tether.Benchmarks.Micro;

/// <summary>
/// The native frame codec on its own: writing a DATA frame (header + payload copy, what the write loop does per chunk)
/// and decoding a megabyte of mixed frames through <see cref="FrameDecoder"/> into a sink that does nothing. Both must
/// allocate nothing.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(Config))]
public class FrameCodecBenchmarks
{
    private const int PayloadSize = 64 * 1024;
    private const int DataFrameBytes = FrameHeader.Size + PayloadSize;
    private const int CreditFrameBytes = FrameHeader.Size + 4;
    private const int PingFrameBytes = FrameHeader.Size + 8;

    // Each group: one full DATA frame, then a CREDIT, a PING and a PONG (what a busy connection interleaves).
    private const int Groups = 16;
    private const int FramesPerGroup = 4;
    private const int StreamBytes = Groups * (DataFrameBytes + CreditFrameBytes + (2 * PingFrameBytes));
    private const int FramesPerStream = Groups * FramesPerGroup;

    // The receive loop hands the decoder what one socket read returned: 64 KiB by default, so frames straddle reads.
    private const int ReadSize = 64 * 1024;

    private readonly byte[] _payload = new byte[PayloadSize];
    private readonly byte[] _frame = new byte[DataFrameBytes];
    private readonly byte[] _stream = new byte[StreamBytes];
    private readonly NullSink _sink = new();
    private FrameDecoder _decoder = null!;

    [GlobalSetup]
    public void Setup()
    {
        new Random(42).NextBytes(_payload);
        var span = _stream.AsSpan();
        for (var group = 0; group < Groups; group++)
        {
            new FrameHeader(PayloadSize, FrameType.Data, FrameFlags.EndOfMessage, 1).Write(span);
            _payload.CopyTo(span[FrameHeader.Size..]);
            span = span[DataFrameBytes..];
            new FrameHeader(4, FrameType.Credit, FrameFlags.None, 1).Write(span);
            span = span[CreditFrameBytes..];
            new FrameHeader(8, FrameType.Ping, FrameFlags.None, 0).Write(span);
            span = span[PingFrameBytes..];
            new FrameHeader(8, FrameType.Pong, FrameFlags.None, 0).Write(span);
            span = span[PingFrameBytes..];
        }

        if (!span.IsEmpty)
        {
            throw new InvalidOperationException("Frame stream size miscomputed.");
        }

        // The decoder expects the peer's preamble first; after it, the stream above always ends on a frame boundary.
        Span<byte> preamble = stackalloc byte[Handshake.Size];
        new Handshake(Handshake.CurrentVersion, ConnectionRole.Connector, PayloadSize, 1024 * 1024, 64L * 1024 * 1024, 256).Write(preamble);
        _decoder = new FrameDecoder(PayloadSize);
        _decoder.Decode(preamble, _sink);
    }

    /// <summary>One 64 KiB DATA frame: 8-byte header and the payload copied into the send buffer.</summary>
    [Benchmark]
    [ProcessedBytes(DataFrameBytes)]
    public int EncodeDataFrame()
    {
        new FrameHeader(PayloadSize, FrameType.Data, FrameFlags.EndOfMessage, 1).Write(_frame);
        _payload.CopyTo(_frame.AsSpan(FrameHeader.Size));
        return _frame.Length;
    }

    /// <summary>The whole stream in one call; reported per frame (64 frames, 16 397 bytes on average).</summary>
    [Benchmark(OperationsPerInvoke = FramesPerStream)]
    [ProcessedBytes(StreamBytes / FramesPerStream)]
    public void DecodeWholeBuffer() => _decoder.Decode(_stream, _sink);

    /// <summary>The same stream cut into 64 KiB reads, as the receive loop delivers it; reported per frame.</summary>
    [Benchmark(OperationsPerInvoke = FramesPerStream)]
    [ProcessedBytes(StreamBytes / FramesPerStream)]
    public void DecodeIn64KiBReads()
    {
        ReadOnlySpan<byte> rest = _stream;
        while (!rest.IsEmpty)
        {
            var read = Math.Min(ReadSize, rest.Length);
            _decoder.Decode(rest[..read], _sink);
            rest = rest[read..];
        }
    }

    private sealed class Config : ManualConfig
    {
        public Config()
        {
            AddColumn(ProcessedBytesColumn.BytesPerOperation, ProcessedBytesColumn.Throughput);
        }
    }

    /// <summary>Accepts everything and does nothing, so the figures are the decoder's own cost.</summary>
    private sealed class NullSink : IFrameSink
    {
        public void OnHandshake(Handshake handshake)
        {
        }

        public void OnDataStart(FrameHeader header)
        {
        }

        public void OnDataPayload(ReadOnlySpan<byte> payload)
        {
        }

        public void OnDataEnd()
        {
        }

        public void OnControl(FrameHeader header, ReadOnlySpan<byte> payload)
        {
        }
    }
}
