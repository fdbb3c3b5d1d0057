using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Tether.Cli.Parsing;

/// <summary>
/// Parses command-line durations (DUR): a number with a unit — <c>250ms</c>, <c>3s</c>, <c>2m</c>, <c>1h</c> — or
/// several such terms written together (<c>1m30s</c>, <c>2s500ms</c>), or a plain number of seconds (<c>5</c>,
/// <c>0.25</c>). Units are <c>ms</c>, <c>s</c>, <c>m</c> and <c>h</c>, case-insensitive; numbers may have a fraction
/// (<c>1.5s</c>) but no sign or exponent, so negative durations are rejected. Zero is accepted (callers decide whether
/// it makes sense). Fractions of a tick (100 ns) are rounded to the nearest tick.
/// </summary>
internal static class DurationParser
{
    /// <summary>Describes the accepted forms, for help texts and error messages.</summary>
    public const string FormatHelp = "a number with a unit ms, s, m or h (250ms, 3s, 2m, 1h, 1m30s) or a plain number of seconds";

    private const NumberStyles NumberStyle = NumberStyles.AllowDecimalPoint;

    private static readonly SearchValues<char> NumberChars = SearchValues.Create("0123456789.");

    /// <summary>Parses <paramref name="text"/>.</summary>
    /// <param name="text">The text, e.g. <c>250ms</c>.</param>
    /// <returns>The duration.</returns>
    /// <exception cref="FormatException">The text is not a valid duration; the message says why.</exception>
    public static TimeSpan Parse(string text) =>
        TryParse(text, out var value, out var error) ? value : throw new FormatException(error);

    /// <summary>Parses <paramref name="text"/> without throwing.</summary>
    /// <param name="text">The text, e.g. <c>250ms</c>.</param>
    /// <param name="value">The duration when the text is valid.</param>
    /// <param name="error">Why the text is invalid, otherwise null.</param>
    /// <returns>True when the text is a valid duration.</returns>
    public static bool TryParse(string? text, out TimeSpan value, [NotNullWhen(false)] out string? error)
    {
        value = TimeSpan.Zero;
        var span = text.AsSpan().Trim();
        if (span.IsEmpty)
        {
            error = $"empty duration; expected {FormatHelp}";
            return false;
        }

        decimal ticks;
        if (decimal.TryParse(span, NumberStyle, CultureInfo.InvariantCulture, out var seconds))
        {
            ticks = seconds * TimeSpan.TicksPerSecond;
        }
        else if (!TryParseTerms(span, out ticks, out var termError))
        {
            error = $"'{text}' is not a duration ({termError}); expected {FormatHelp}";
            return false;
        }

        ticks = decimal.Round(ticks, MidpointRounding.AwayFromZero);
        if (ticks > TimeSpan.MaxValue.Ticks)
        {
            error = $"'{text}' is too long a duration";
            return false;
        }

        value = TimeSpan.FromTicks((long)ticks);
        error = null;
        return true;
    }

    private static bool TryParseTerms(ReadOnlySpan<char> span, out decimal ticks, [NotNullWhen(false)] out string? error)
    {
        ticks = 0;
        while (!span.IsEmpty)
        {
            var numberLength = span.IndexOfAnyExcept(NumberChars);
            if (numberLength <= 0)
            {
                error = numberLength == 0 ? $"expected a number at '{span}'" : $"'{span}' has no unit";
                return false;
            }

            var number = span[..numberLength];
            span = span[numberLength..];
            var unitLength = span.IndexOfAny(NumberChars);
            var unit = unitLength < 0 ? span : span[..unitLength];
            span = unitLength < 0 ? [] : span[unitLength..];

            if (!decimal.TryParse(number, NumberStyle, CultureInfo.InvariantCulture, out var amount))
            {
                error = $"'{number}' is not a number";
                return false;
            }

            long unitTicks;
            if (unit.Equals("ms", StringComparison.OrdinalIgnoreCase))
            {
                unitTicks = TimeSpan.TicksPerMillisecond;
            }
            else if (unit.Equals("s", StringComparison.OrdinalIgnoreCase))
            {
                unitTicks = TimeSpan.TicksPerSecond;
            }
            else if (unit.Equals("m", StringComparison.OrdinalIgnoreCase))
            {
                unitTicks = TimeSpan.TicksPerMinute;
            }
            else if (unit.Equals("h", StringComparison.OrdinalIgnoreCase))
            {
                unitTicks = TimeSpan.TicksPerHour;
            }
            else
            {
                error = $"unknown unit '{unit}'";
                return false;
            }

            try
            {
                ticks += amount * unitTicks;
            }
            catch (OverflowException)
            {
                error = "too long a duration";
                return false;
            }
        }

        error = null;
        return true;
    }
}
