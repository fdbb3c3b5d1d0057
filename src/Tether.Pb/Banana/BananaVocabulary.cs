using System.Text;

namespace Tether.Pb.Banana;

/// <summary>
/// The fixed "pb" dialect vocabulary: words that travel as a one-byte vocabulary token instead of a
/// string. Numbering is Twisted's <c>Banana.outgoingVocabulary</c>; it is part of the wire format.
/// </summary>
public static class BananaVocabulary
{
    private static readonly string[] Words =
    [
        // Jelly data types.
        "None", "class", "dereference", "reference", "dictionary", "function", "instance", "list", "module",
        "persistent", "tuple", "unpersistable",

        // PB data types.
        "copy", "cache", "cached", "remote", "local", "lcache",

        // PB protocol messages.
        "version", "login", "password", "challenge", "logged_in", "not_logged_in", "cachemessage", "message",
        "answer", "error", "decref", "decache", "uncache",
    ];

    private static readonly Dictionary<string, int> Numbers =
        Words.Select((word, index) => (word, number: index + 1)).ToDictionary(pair => pair.word, pair => pair.number, StringComparer.Ordinal);

    private static readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> NumbersBySpan =
        Numbers.GetAlternateLookup<ReadOnlySpan<char>>();

    private static readonly int LongestWord = Words.Max(word => word.Length);

    /// <summary>Highest token number in use (31).</summary>
    public static int Count => Words.Length;

    /// <summary>The word for vocabulary token <paramref name="number"/>, or null when there is none.</summary>
    public static string? WordFor(long number) =>
        number >= 1 && number <= Words.Length ? Words[number - 1] : null;

    /// <summary>The token number for <paramref name="word"/> (ASCII bytes), or 0 when it is not in the vocabulary.</summary>
    public static int NumberFor(ReadOnlySpan<byte> word)
    {
        if (word.Length == 0 || word.Length > LongestWord)
        {
            return 0;
        }

        Span<char> chars = stackalloc char[word.Length];
        Encoding.Latin1.GetChars(word, chars);
        return NumbersBySpan.TryGetValue(chars, out var number) ? number : 0;
    }
}
