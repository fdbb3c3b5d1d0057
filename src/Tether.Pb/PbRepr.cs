using System.Collections;
using System.Globalization;
using System.Numerics;
using System.Text;
using Tether.Pb.Jelly;

namespace Tether.Pb;

/// <summary>
/// Renders banana expressions and PB values the way Python's <c>repr</c> would show them, for
/// diagnostics and test messages: <c>[b'list', 1, 'text', None, (1,), {b'k': 2.5}]</c>.
/// </summary>
public static class PbRepr
{
    /// <summary>Formats <paramref name="value"/>; a container met again inside itself shows as <c>...</c>.</summary>
    public static string Format(object? value)
    {
        var text = new StringBuilder();
        Append(text, value, new HashSet<object>(ReferenceEqualityComparer.Instance));
        return text.ToString();
    }

    private static void Append(StringBuilder text, object? value, HashSet<object> open)
    {
        switch (value)
        {
            case null:
                text.Append("None");
                return;
            case bool flag:
                text.Append(flag ? "True" : "False");
                return;
            case byte[] bytes:
                AppendBytes(text, bytes);
                return;
            case string unicode:
                AppendText(text, unicode);
                return;
            case double number:
                text.Append(FormatFloat(number));
                return;
            case BigInteger or long or int:
                text.Append(CultureInfo.InvariantCulture, $"{value}");
                return;
        }

        if (!open.Add(value))
        {
            text.Append("...");
            return;
        }

        switch (value)
        {
            case PbTuple tuple:
                AppendSequence(text, tuple, "(", tuple.Count == 1 ? ",)" : ")", open);
                break;
            case IDictionary dictionary:
                AppendDictionary(text, dictionary, open);
                break;
            case IReadOnlySet<object> set:
                var frozen = value is not HashSet<object>;
                text.Append(frozen ? "frozenset({" : "{");
                AppendItems(text, set, open);
                text.Append(frozen ? "})" : "}");
                break;
            case IEnumerable<object?> sequence:
                AppendSequence(text, sequence, "[", "]", open);
                break;
            default:
                text.Append(CultureInfo.InvariantCulture, $"{value}");
                break;
        }

        open.Remove(value);
    }

    private static void AppendSequence(StringBuilder text, IEnumerable<object?> items, string open, string close, HashSet<object> openSet)
    {
        text.Append(open);
        AppendItems(text, items, openSet);
        text.Append(close);
    }

    private static void AppendItems(StringBuilder text, IEnumerable<object?> items, HashSet<object> open)
    {
        var first = true;
        foreach (var item in items)
        {
            text.Append(first ? string.Empty : ", ");
            Append(text, item, open);
            first = false;
        }
    }

    private static void AppendDictionary(StringBuilder text, IDictionary dictionary, HashSet<object> open)
    {
        text.Append('{');
        var first = true;
        foreach (DictionaryEntry entry in dictionary)
        {
            text.Append(first ? string.Empty : ", ");
            Append(text, entry.Key, open);
            text.Append(": ");
            Append(text, entry.Value, open);
            first = false;
        }

        text.Append('}');
    }

    private static string FormatFloat(double number) => number switch
    {
        double.PositiveInfinity => "inf",
        double.NegativeInfinity => "-inf",
        double.NaN => "nan",
        _ when number == Math.Floor(number) && Math.Abs(number) < 1e16 => number.ToString("0.0", CultureInfo.InvariantCulture),
        _ => number.ToString("R", CultureInfo.InvariantCulture),
    };

    private static void AppendBytes(StringBuilder text, byte[] bytes)
    {
        text.Append("b'");
        foreach (var b in bytes)
        {
            _ = b switch
            {
                (byte)'\\' => text.Append(@"\\"),
                (byte)'\'' => text.Append(@"\'"),
                (byte)'\n' => text.Append(@"\n"),
                (byte)'\r' => text.Append(@"\r"),
                (byte)'\t' => text.Append(@"\t"),
                >= 0x20 and < 0x7F => text.Append((char)b),
                _ => text.Append(CultureInfo.InvariantCulture, $"\\x{b:x2}"),
            };
        }

        text.Append('\'');
    }

    private static void AppendText(StringBuilder text, string unicode)
    {
        text.Append('\'');
        foreach (var c in unicode)
        {
            _ = c switch
            {
                '\\' => text.Append(@"\\"),
                '\'' => text.Append(@"\'"),
                '\n' => text.Append(@"\n"),
                _ when char.IsControl(c) => text.Append(CultureInfo.InvariantCulture, $"\\x{(int)c:x2}"),
                _ => text.Append(c),
            };
        }

        text.Append('\'');
    }
}
