using System.Collections.Concurrent;
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
    private const int StackChars = 128;

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
        Span<char> room = stackalloc char[StackChars];
        return lookup.TryGetValue(Decode(utf8Name, room), out value);
    }

    /// <summary>The same for a concurrent dictionary.</summary>
    public static bool TryGetValue<T>(ConcurrentDictionary<string, T>.AlternateLookup<ReadOnlySpan<char>> lookup, ReadOnlySpan<byte> utf8Name, [MaybeNullWhen(false)] out T value)
    {
        Span<char> room = stackalloc char[StackChars];
        return lookup.TryGetValue(Decode(utf8Name, room), out value);
    }

    /// <summary>The name as UTF-16: in <paramref name="room"/> when it fits (a UTF-8 byte makes at most one char), else a new string.</summary>
    private static ReadOnlySpan<char> Decode(ReadOnlySpan<byte> utf8Name, Span<char> room) =>
        utf8Name.Length <= room.Length ? room[..Encoding.UTF8.GetChars(utf8Name, room)] : Encoding.UTF8.GetString(utf8Name);
}
