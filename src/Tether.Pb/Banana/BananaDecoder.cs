using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;

namespace Tether.Pb.Banana;

/// <summary>
/// Incremental banana decoder. Feed it bytes as they arrive, split anywhere; it yields one top-level
/// expression at a time so the caller can switch <see cref="Dialect"/> between expressions, as PB's
/// negotiation requires.
/// </summary>
/// <remarks>
/// Decoded values: a non-negative or negative integer is a <see cref="long"/>, or a
/// <see cref="System.Numerics.BigInteger"/> when it does not fit one; a float is a <see cref="double"/>;
/// a string (and a vocabulary token, which stands for its word) is a <see cref="byte"/> array; a list is a
/// <see cref="List{T}"/> of objects. Memory is never reserved from a length the peer announced: a
/// string's buffer grows with the bytes that actually arrived, and a list grows with its elements.
/// After a <see cref="BananaException"/> the decoder is unusable, like the connection it served.
/// </remarks>
public sealed class BananaDecoder
{
    private const int FloatSize = 8;
    private const int MinimumStringBuffer = 256;

    private readonly BananaOptions _options;
    private readonly byte[] _prefix;
    private readonly byte[] _float = new byte[FloatSize];
    private readonly List<PendingList> _lists = [];
    private int _prefixLength;
    private Phase _phase;
    private byte[] _string = [];
    private int _bodyReceived;
    private int _bodyExpected;
    private bool _failed;

    /// <summary>Creates a decoder with <paramref name="options"/> (Twisted's limits when null).</summary>
    public BananaDecoder(BananaOptions? options = null)
    {
        _options = options ?? BananaOptions.Default;
        _options.Validate();
        _prefix = new byte[_options.PrefixLimit];
    }

    private enum Phase
    {
        Prefix,
        StringBody,
        FloatBody,
    }

    /// <summary>The dialect in force; vocabulary tokens are a violation unless it is <see cref="BananaDialect.Pb"/>.</summary>
    public BananaDialect Dialect { get; set; }

    /// <summary>True when no part of an expression is buffered (the stream is at an expression boundary).</summary>
    public bool IsAtBoundary => _phase == Phase.Prefix && _prefixLength == 0 && _lists.Count == 0;

    /// <summary>Decodes every expression in <paramref name="data"/>, which must end at an expression boundary.</summary>
    /// <exception cref="BananaException">The data breaks the format or a limit, or ends inside an expression.</exception>
    public static List<object> DecodeAll(ReadOnlySpan<byte> data, BananaDialect dialect = BananaDialect.Pb, BananaOptions? options = null)
    {
        var decoder = new BananaDecoder(options) { Dialect = dialect };
        var expressions = new List<object>();
        while (!data.IsEmpty)
        {
            if (decoder.TryReadExpression(data, out var consumed, out var expression))
            {
                expressions.Add(expression);
            }

            data = data[consumed..];
        }

        if (!decoder.IsAtBoundary)
        {
            throw new BananaException("the data ends inside an expression");
        }

        return expressions;
    }

    /// <summary>
    /// Consumes bytes from <paramref name="input"/> until one top-level expression is complete or the
    /// input is used up. Bytes of an unfinished expression are kept for the next call.
    /// </summary>
    /// <param name="input">Newly received bytes.</param>
    /// <param name="consumed">How many bytes of <paramref name="input"/> were used; the rest belongs to later expressions.</param>
    /// <param name="expression">The completed expression when the method returns true.</param>
    /// <returns>True when an expression completed.</returns>
    /// <exception cref="BananaException">The stream breaks the format or a limit.</exception>
    public bool TryReadExpression(ReadOnlySpan<byte> input, out int consumed, [NotNullWhen(true)] out object? expression)
    {
        ObjectDisposedException.ThrowIf(_failed, this);
        try
        {
            return Read(input, out consumed, out expression);
        }
        catch (BananaException)
        {
            _failed = true;
            throw;
        }
    }

    private bool Read(ReadOnlySpan<byte> input, out int consumed, [NotNullWhen(true)] out object? expression)
    {
        var position = 0;
        while (position < input.Length)
        {
            object? item;
            switch (_phase)
            {
                case Phase.StringBody:
                    item = ContinueString(input, ref position);
                    break;
                case Phase.FloatBody:
                    item = ContinueFloat(input, ref position);
                    break;
                default:
                    var next = input[position++];
                    if (next < BananaTypeByte.HighBit)
                    {
                        if (_prefixLength == _prefix.Length)
                        {
                            throw new BananaException($"security precaution: more than {_prefix.Length} bytes of prefix");
                        }

                        _prefix[_prefixLength++] = next;
                        continue;
                    }

                    item = StartToken(next, input, ref position);
                    _prefixLength = 0;
                    break;
            }

            if (item is not null && Complete(item, out expression))
            {
                consumed = position;
                return true;
            }
        }

        consumed = position;
        expression = null;
        return false;
    }

    /// <summary>Handles a type byte; returns the finished item, or null when the token needs more bytes.</summary>
    private object? StartToken(byte typeByte, ReadOnlySpan<byte> input, ref int position)
    {
        var digits = _prefix.AsSpan(0, _prefixLength);
        switch (typeByte)
        {
            case BananaTypeByte.List:
                var count = ReadSize(digits, "list");
                if (_lists.Count >= _options.MaxDepth)
                {
                    throw new BananaException($"lists nested deeper than {_options.MaxDepth}");
                }

                if (count == 0)
                {
                    return new List<object>();
                }

                _lists.Add(new PendingList(count));
                return null;
            case BananaTypeByte.String:
                _bodyExpected = ReadSize(digits, "string");
                _bodyReceived = 0;
                _phase = Phase.StringBody;
                return ContinueString(input, ref position);
            case BananaTypeByte.Int:
            case BananaTypeByte.LongInt:
                return Base128.Read(digits, negate: false);
            case BananaTypeByte.Neg:
            case BananaTypeByte.LongNeg:
                return Base128.Read(digits, negate: true);
            case BananaTypeByte.Vocab:
                return ReadVocabulary(digits);
            case BananaTypeByte.Float:
                // Twisted ignores any prefix before a float's type byte; so do we.
                _bodyExpected = FloatSize;
                _bodyReceived = 0;
                _phase = Phase.FloatBody;
                return ContinueFloat(input, ref position);
            default:
                throw new BananaException($"invalid type byte 0x{typeByte:X2}");
        }
    }

    private int ReadSize(ReadOnlySpan<byte> digits, string what)
    {
        if (!Base128.TryReadInt64(digits, out var size) || size > _options.SizeLimit)
        {
            throw new BananaException($"security precaution: {what} longer than {_options.SizeLimit}");
        }

        return (int)size;
    }

    private byte[] ReadVocabulary(ReadOnlySpan<byte> digits)
    {
        var word = Base128.TryReadInt64(digits, out var number) ? BananaVocabulary.WordFor(number) : null;
        if (word is null)
        {
            throw new BananaException("unknown vocabulary token");
        }

        if (Dialect != BananaDialect.Pb)
        {
            throw new BananaException($"vocabulary token \"{word}\" outside the pb dialect");
        }

        // A fresh array per token: callers own what they decode and may change it.
        return System.Text.Encoding.ASCII.GetBytes(word);
    }

    private byte[]? ContinueString(ReadOnlySpan<byte> input, ref int position)
    {
        var available = Math.Min(input.Length - position, _bodyExpected - _bodyReceived);
        if (_bodyReceived == 0 && available == _bodyExpected)
        {
            // The whole string is here: one exact allocation, backed by bytes that arrived.
            _phase = Phase.Prefix;
            var whole = input.Slice(position, available).ToArray();
            position += available;
            return whole;
        }

        var needed = _bodyReceived + available;
        if (needed > _string.Length)
        {
            var grown = new byte[Math.Min(_bodyExpected, Math.Max(needed, Math.Max(MinimumStringBuffer, _string.Length * 2)))];
            _string.AsSpan(0, _bodyReceived).CopyTo(grown);
            _string = grown;
        }

        input.Slice(position, available).CopyTo(_string.AsSpan(_bodyReceived));
        position += available;
        _bodyReceived = needed;
        if (_bodyReceived < _bodyExpected)
        {
            return null;
        }

        _phase = Phase.Prefix;
        var result = _string.Length == _bodyExpected ? _string : _string.AsSpan(0, _bodyExpected).ToArray();
        _string = [];
        return result;
    }

    private double? ContinueFloat(ReadOnlySpan<byte> input, ref int position)
    {
        var available = Math.Min(input.Length - position, FloatSize - _bodyReceived);
        input.Slice(position, available).CopyTo(_float.AsSpan(_bodyReceived));
        position += available;
        _bodyReceived += available;
        if (_bodyReceived < FloatSize)
        {
            return null;
        }

        _phase = Phase.Prefix;
        return BinaryPrimitives.ReadDoubleBigEndian(_float);
    }

    /// <summary>Adds a finished item to the open list, closing every list it completes.</summary>
    private bool Complete(object item, [NotNullWhen(true)] out object? expression)
    {
        while (_lists.Count > 0)
        {
            var top = _lists[^1];
            top.Items.Add(item);
            if (top.Items.Count < top.Expected)
            {
                expression = null;
                return false;
            }

            _lists.RemoveAt(_lists.Count - 1);
            item = top.Items;
        }

        expression = item;
        return true;
    }

    private sealed class PendingList(int expected)
    {
        public int Expected { get; } = expected;

        // Grows with elements that arrived, never pre-sized from the announced count.
        public List<object> Items { get; } = [];
    }
}
