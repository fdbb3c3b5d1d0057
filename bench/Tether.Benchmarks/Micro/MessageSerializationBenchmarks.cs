using System.Buffers;
using BenchmarkDotNet.Attributes;
using Nerdbank.MessagePack;
using Tether.Internal;
using Tether.Bench.Rpc;
using Tether.Bench.Rpc.Tether;
using Tether.Protocol;
using Tether.Remoting;

namespace Tether.Benchmarks.Micro;

/// <summary>
/// The remoting messages of one small call, serialized and read as <c>TetherSession</c> does (one
/// <see cref="ValueWriter"/> and one <see cref="ValueReader"/>, reset per message; no reference codec since no reference crosses): the
/// CALL with an int and a 32-byte string, and the ANSWER carrying a registered copyable (<see cref="SmallMessage"/>).
/// </summary>
[MemoryDiagnoser]
public class MessageSerializationBenchmarks
{
    private readonly RemotingOptions _options = new();
    private readonly ArrayBufferWriter<byte> _buffer = new(256);
    private readonly object?[] _arguments = [42, BenchData.SmallText];
    private readonly SmallMessage _result = new(42, BenchData.SmallText);
    private ValueWriter _writer = null!;
    private ValueReader _reader = null!;
    private ReadOnlySequence<byte> _call;
    private ReadOnlySequence<byte> _answer;

    [GlobalSetup]
    public void Setup()
    {
        _options.Types.AddCopyable<SmallMessage>(nameof(SmallMessage));
        _writer = new ValueWriter(_options.Types, null, _options.Limits.MaxDepth);
        _reader = new ValueReader(_options.Types, null, _options.Limits);
        WriteCall();
        _call = new ReadOnlySequence<byte>(_buffer.WrittenMemory.ToArray());
        WriteAnswer();
        _answer = new ReadOnlySequence<byte>(_buffer.WrittenMemory.ToArray());
    }

    /// <summary>CALL: header, call id, target, method name, two arguments.</summary>
    [Benchmark]
    public int WriteCall()
    {
        _buffer.ResetWrittenCount();
        var writer = new MessagePackWriter(_buffer);
        writer.WriteArrayHeader(5);
        writer.Write((byte)MessageKind.Call);
        writer.Write(7u);
        writer.Write(0u);
        writer.Write("Echo");
        _writer.Reset();
        _writer.WriteArray(ref writer, _arguments);
        writer.Flush();
        return _buffer.WrittenCount;
    }

    /// <summary>Reads the CALL as dispatch does: the method name in place, each value to its declared type into stack slots (the int as bits).</summary>
    [Benchmark]
    public object? ReadCall()
    {
        var reader = new MessagePackReader(_call);
        reader.ReadArrayHeader();
        reader.ReadByte();
        reader.ReadUInt32();
        reader.ReadUInt32();
        Utf8Names.Read(ref reader);
        _reader.Reset();
        var arguments = default(ArgumentSlots);
        arguments.Allocate(_reader.ReadArrayHeader(ref reader));
        _reader.ReadInto(ref reader, ref arguments, 0, ArgumentKind.Int32, typeof(int));
        _reader.ReadInto(ref reader, ref arguments, 1, ArgumentKind.Object, typeof(string));
        return arguments.GetObject(1);
    }

    /// <summary>ANSWER with a copyable record.</summary>
    [Benchmark]
    public int WriteAnswer()
    {
        _buffer.ResetWrittenCount();
        var writer = new MessagePackWriter(_buffer);
        writer.WriteArrayHeader(3);
        writer.Write((byte)MessageKind.Answer);
        writer.Write(7u);
        _writer.Reset();
        _writer.Write(ref writer, _result);
        writer.Flush();
        return _buffer.WrittenCount;
    }

    /// <summary>Reads the ANSWER back into a <see cref="SmallMessage"/>.</summary>
    [Benchmark]
    public object? ReadAnswer()
    {
        var reader = new MessagePackReader(_answer);
        reader.ReadArrayHeader();
        reader.ReadByte();
        reader.ReadUInt32();
        _reader.Reset();
        return _reader.Read(ref reader, typeof(SmallMessage));
    }
}
