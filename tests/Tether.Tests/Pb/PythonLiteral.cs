using System.Globalization;
using System.Numerics;
using Tether.Pb;

namespace Tether.Tests.Pb;

/// <summary>
/// Parses the Python repr of a banana expression (lists, bytes, ints, floats), as printed by
/// <c>print(jelly.jelly(value))</c>, so tests can quote what Twisted produced.
/// </summary>
internal static class PythonLiteral
{
    public static object Parse(string text)
    {
        var position = 0;
        var value = ParseValue(text, ref position);
        SkipSpace(text, ref position);
        return position == text.Length ? value : throw new FormatException($"trailing text at {position}: {text}");
    }

    private static object ParseValue(string text, ref int position)
    {
        SkipSpace(text, ref position);
        switch (text[position])
        {
            case '[':
                position++;
                var list = new List<object>();
                SkipSpace(text, ref position);
                while (text[position] != ']')
                {
                    list.Add(ParseValue(text, ref position));
                    SkipSpace(text, ref position);
                    if (text[position] == ',')
                    {
                        position++;
                        SkipSpace(text, ref position);
                    }
                }

                position++;
                return list;
            case 'b':
                return ParseBytes(text, ref position);
            default:
                var start = position;
                while (position < text.Length && (char.IsAsciiDigit(text[position]) || text[position] is '-' or '.' or 'e' or '+'))
                {
                    position++;
                }

                var number = text[start..position];
                return number.Contains('.', StringComparison.Ordinal) || number.Contains('e', StringComparison.Ordinal)
                    ? double.Parse(number, CultureInfo.InvariantCulture)
                    : PbIntegers.Normalize(BigInteger.Parse(number, CultureInfo.InvariantCulture));
        }
    }

    private static byte[] ParseBytes(string text, ref int position)
    {
        var quote = text[position + 1];
        position += 2;
        var bytes = new List<byte>();
        while (text[position] != quote)
        {
            if (text[position] != '\\')
            {
                bytes.Add((byte)text[position++]);
                continue;
            }

            var escape = text[position + 1];
            position += 2;
            switch (escape)
            {
                case 'x':
                    bytes.Add(byte.Parse(text.AsSpan(position, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                    position += 2;
                    break;
                case 'n': bytes.Add((byte)'\n'); break;
                case 'r': bytes.Add((byte)'\r'); break;
                case 't': bytes.Add((byte)'\t'); break;
                default: bytes.Add((byte)escape); break;
            }
        }

        position++;
        return [.. bytes];
    }

    private static void SkipSpace(string text, ref int position)
    {
        while (position < text.Length && char.IsWhiteSpace(text[position]))
        {
            position++;
        }
    }
}
