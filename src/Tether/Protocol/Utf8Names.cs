using System.Diagnostics.CodeAnalysis;
using System.Text;
using Nerdbank.MessagePack;

namespace Tether.Protocol;

/// <summary>
/// Names read off the wire (method and member names), looked up as they arrive in UTF-8: every call and every
/// copyable member would otherwise cost a string.
/// </summary>
internal static class Utf8Names
{
    /// <summary>Reads a string token's UTF-8 bytes, in place (copied only in the rare case it spans two segments).</summary>
    public static ReadOnlySpan<byte> Read(ref MessagePackReader reader)
    {
        var peek = reader.CreatePeekReader();
        if (peek.TryReadStringSpan(out var span))
        {
            reader = peek;
            return span;
        }

        return Encoding.UTF8.GetBytes(reader.ReadString() ?? string.Empty);
    }

    /// <summary>Looks <paramref name="utf8Name"/> up in a string-keyed dictionary through its span lookup.</summary>
    public static bool TryGetValue<T>(Dictionary<string, T>.AlternateLookup<ReadOnlySpan<char>> lookup, ReadOnlySpan<byte> utf8Name, [MaybeNullWhen(false)] out T value)
    {
        Span<char> chars = stackalloc char[128];
        return utf8Name.Length <= chars.Length
            ? lookup.TryGetValue(chars[..Encoding.UTF8.GetChars(utf8Name, chars)], out value)
            : lookup.Dictionary.TryGetValue(Encoding.UTF8.GetString(utf8Name), out value);
    }
}
