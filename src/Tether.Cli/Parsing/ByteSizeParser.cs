using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Tether.Cli.Parsing;

/// <summary>
/// Parses command-line byte counts (BYTES): a plain number of bytes (<c>123</c>) or a number with a unit
/// (<c>64KB</c>, <c>2MB</c>, <c>1GB</c>, <c>800KB</c>, <c>1.5MiB</c>). Units are binary and case-insensitive:
/// <c>K</c> = <c>KB</c> = <c>KiB</c> = 1024 bytes, <c>M</c> = <c>MB</c> = <c>MiB</c> = 1024², <c>G</c>/<c>GB</c>/<c>GiB</c>
/// = 1024³, <c>T</c>/<c>TB</c>/<c>TiB</c> = 1024⁴; <c>B</c> is bytes. KB means 1024 (not 1000) because the sizes this
/// tool deals with — chunks, windows, buffers — are powers of two. A fraction is allowed when the result is a whole
/// number of bytes (<c>1.5KB</c> = 1536, <c>0.1KB</c> is rejected). No sign, so negative sizes are rejected.
/// </summary>
internal static class ByteSizeParser
{
    /// <summary>Describes the accepted forms, for help texts and error messages.</summary>
    public const string FormatHelp = "a number of bytes with an optional unit B, KB, MB, GB or TB (binary: 1KB = 1KiB = 1024 bytes), e.g. 123, 64KB, 2MB";

    private static readonly SearchValues<char> NumberChars = SearchValues.Create("0123456789.");

    /// <summary>Parses <paramref name="text"/>.</summary>
    /// <param name="text">The text, e.g. <c>64KB</c>.</param>
    /// <returns>The number of bytes.</returns>
    /// <exception cref="FormatException">The text is not a valid size; the message says why.</exception>
    public static long Parse(string text) =>
        TryParse(text, out var value, out var error) ? value : throw new FormatException(error);

    /// <summary>Parses <paramref name="text"/> without throwing.</summary>
    /// <param name="text">The text, e.g. <c>64KB</c>.</param>
    /// <param name="value">The number of bytes when the text is valid.</param>
    /// <param name="error">Why the text is invalid, otherwise null.</param>
    /// <returns>True when the text is a valid size.</returns>
    public static bool TryParse(string? text, out long value, [NotNullWhen(false)] out string? error)
    {
        value = 0;
        var span = text.AsSpan().Trim();
        var numberLength = span.IndexOfAnyExcept(NumberChars);
        if (numberLength < 0)
        {
            numberLength = span.Length;
        }

        var number = span[..numberLength];
        var unit = span[numberLength..].TrimStart();
        if (number.IsEmpty || !decimal.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var amount))
        {
            error = $"'{text}' is not a size; expected {FormatHelp}";
            return false;
        }

        if (!TryGetMultiplier(unit, out var multiplier))
        {
            error = $"'{text}' has an unknown unit '{unit}'; expected {FormatHelp}";
            return false;
        }

        decimal bytes;
        try
        {
            bytes = amount * multiplier;
        }
        catch (OverflowException)
        {
            error = $"'{text}' is too large";
            return false;
        }

        if (bytes != decimal.Truncate(bytes))
        {
            error = $"'{text}' is not a whole number of bytes ({bytes.ToString(CultureInfo.InvariantCulture)})";
            return false;
        }

        if (bytes > long.MaxValue)
        {
            error = $"'{text}' is too large (at most {long.MaxValue} bytes)";
            return false;
        }

        value = (long)bytes;
        error = null;
        return true;
    }

    private static bool TryGetMultiplier(ReadOnlySpan<char> unit, out long multiplier)
    {
        multiplier = 1;
        if (unit.IsEmpty || unit.Equals("B", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        var power = char.ToUpperInvariant(unit[0]) switch
        {
            'K' => 1,
            'M' => 2,
            'G' => 3,
            'T' => 4,
            _ => 0,
        };
        var suffix = unit[1..];
        if (power == 0 || !(suffix.IsEmpty || suffix.Equals("B", StringComparison.OrdinalIgnoreCase) || suffix.Equals("iB", StringComparison.OrdinalIgnoreCase)))
        {
            return false;
        }

        multiplier = 1L << (10 * power);
        return true;
    }
}
