using System.Buffers;
using System.Buffers.Binary;
using System.Numerics;

namespace Tether.Pb.Banana;

/// <summary>
/// Banana encoder. Accepts exactly what banana can carry: byte arrays (strings), integers of any
/// .NET integer type or <see cref="BigInteger"/>, <see cref="double"/> or <see cref="float"/>, and
/// lists (<see cref="IReadOnlyList{T}"/> of objects) of those. Text is not a banana type; jelly wraps it.
/// </summary>
/// <remarks>
/// Integer tokens follow Twisted's choice: INT for 0..2^31-1, NEG for -2^31..-1, LONGINT and LONGNEG
/// beyond, and nothing whose prefix would exceed <see cref="BananaOptions.PrefixLimit"/>. In the pb
/// dialect a string equal to a vocabulary word is sent as its one-byte token.
/// </remarks>
public sealed class BananaEncoder
{
    private static readonly BigInteger LargestInt = int.MaxValue;
    private static readonly BigInteger SmallestInt = int.MinValue;

    private readonly BananaOptions _options;
    private readonly BigInteger _largestLongInt;

    /// <summary>Creates an encoder with <paramref name="options"/> (Twisted's limits when null).</summary>
    public BananaEncoder(BananaOptions? options = null)
    {
        _options = options ?? BananaOptions.Default;
        _options.Validate();
        _largestLongInt = (BigInteger.One << (_options.PrefixLimit * 7)) - 1;
    }

    /// <summary>The dialect in force; vocabulary tokens are used only in <see cref="BananaDialect.Pb"/>.</summary>
    public BananaDialect Dialect { get; set; }

    /// <summary>Encodes <paramref name="value"/> into a new array.</summary>
    /// <exception cref="ArgumentException">The value is not a banana value or exceeds a limit.</exception>
    public byte[] Encode(object value)
    {
        var buffer = new ArrayBufferWriter<byte>();
        Encode(value, buffer);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Appends the encoding of <paramref name="value"/> to <paramref name="output"/>.</summary>
    /// <exception cref="ArgumentException">The value is not a banana value or exceeds a limit; nothing useful was written.</exception>
    public void Encode(object value, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(value);
        ArgumentNullException.ThrowIfNull(output);
        Write(value, output, depth: 0);
    }

    private void Write(object value, IBufferWriter<byte> output, int depth)
    {
        switch (value)
        {
            case byte[] bytes:
                WriteString(bytes, output);
                break;
            case double number:
                WriteFloat(number, output);
                break;
            case float number:
                WriteFloat(number, output);
                break;
            case IReadOnlyList<object> list:
                WriteList(list, output, depth);
                break;
            default:
                if (!PbIntegers.TryGetInteger(value, out var integer))
                {
                    throw new ArgumentException($"banana cannot send a {value.GetType()}", nameof(value));
                }

                WriteInteger(integer, output);
                break;
        }
    }

    private void WriteList(IReadOnlyList<object> list, IBufferWriter<byte> output, int depth)
    {
        if (depth >= _options.MaxDepth)
        {
            throw new ArgumentException($"lists nested deeper than {_options.MaxDepth} (or a list that contains itself)", nameof(list));
        }

        if (list.Count > _options.SizeLimit)
        {
            throw new ArgumentException($"list is too long to send ({list.Count} > {_options.SizeLimit})", nameof(list));
        }

        Base128.Write((ulong)list.Count, output);
        WriteTypeByte(BananaTypeByte.List, output);
        foreach (var element in list)
        {
            ArgumentNullException.ThrowIfNull(element, nameof(list));
            Write(element, output, depth + 1);
        }
    }

    private void WriteString(byte[] bytes, IBufferWriter<byte> output)
    {
        if (Dialect == BananaDialect.Pb)
        {
            var number = BananaVocabulary.NumberFor(bytes);
            if (number != 0)
            {
                Base128.Write((ulong)number, output);
                WriteTypeByte(BananaTypeByte.Vocab, output);
                return;
            }
        }

        if (bytes.Length > _options.SizeLimit)
        {
            throw new ArgumentException($"byte string is too long to send ({bytes.Length} > {_options.SizeLimit})", nameof(bytes));
        }

        Base128.Write((ulong)bytes.Length, output);
        WriteTypeByte(BananaTypeByte.String, output);
        output.Write(bytes);
    }

    private static void WriteFloat(double number, IBufferWriter<byte> output)
    {
        WriteTypeByte(BananaTypeByte.Float, output);
        var span = output.GetSpan(8);
        BinaryPrimitives.WriteDoubleBigEndian(span, number);
        output.Advance(8);
    }

    private void WriteInteger(BigInteger integer, IBufferWriter<byte> output)
    {
        if (BigInteger.Abs(integer) > _largestLongInt)
        {
            throw new ArgumentException($"integer is too large to send ({integer})", nameof(integer));
        }

        Base128.Write(BigInteger.Abs(integer), output);
        var typeByte = integer.Sign switch
        {
            < 0 when integer < SmallestInt => BananaTypeByte.LongNeg,
            < 0 => BananaTypeByte.Neg,
            _ when integer <= LargestInt => BananaTypeByte.Int,
            _ => BananaTypeByte.LongInt,
        };
        WriteTypeByte(typeByte, output);
    }

    private static void WriteTypeByte(byte typeByte, IBufferWriter<byte> output)
    {
        output.GetSpan(1)[0] = typeByte;
        output.Advance(1);
    }
}
