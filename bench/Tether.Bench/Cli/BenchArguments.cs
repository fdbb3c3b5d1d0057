using System.Globalization;

namespace Tether.Bench.Cli;

/// <summary>A minimal <c>--name value</c> parser for the modes that do not run under BenchmarkDotNet.</summary>
internal sealed class BenchArguments
{
    private readonly Dictionary<string, string> _values;

    private BenchArguments(Dictionary<string, string> values) => _values = values;

    /// <summary>Parses <paramref name="args"/>, accepting only the option names in <paramref name="known"/>.</summary>
    /// <exception cref="UsageException">An unknown option or a missing value.</exception>
    public static BenchArguments Parse(IReadOnlyList<string> args, params string[] known)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            if (!known.Contains(name, StringComparer.Ordinal))
            {
                throw new UsageException($"Unknown option '{name}'. Known: {string.Join(", ", known)}.");
            }

            if (i + 1 == args.Count)
            {
                throw new UsageException($"Option '{name}' needs a value.");
            }

            values[name] = args[++i];
        }

        return new BenchArguments(values);
    }

    public string? GetString(string name) => _values.GetValueOrDefault(name);

    /// <summary>A comma-separated list (an empty value is an empty list).</summary>
    public string[] GetList(string name, string fallback) =>
        (GetString(name) ?? fallback).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public int GetInt(string name, int fallback, int min = 1) => (int)GetNumber(name, fallback, min);

    public double GetSeconds(string name, double fallback) => GetNumber(name, fallback, 0);

    /// <summary>A duration written as a number with a unit (<c>250ms</c>, <c>3s</c>, <c>2m</c>) or plain seconds.</summary>
    /// <exception cref="UsageException">The value is not such a duration.</exception>
    public TimeSpan GetDuration(string name, TimeSpan fallback)
    {
        if (!_values.TryGetValue(name, out var text))
        {
            return fallback;
        }

        var (number, scale) = text switch
        {
            _ when text.EndsWith("ms", StringComparison.Ordinal) => (text[..^2], 0.001),
            _ when text.EndsWith('s') => (text[..^1], 1.0),
            _ when text.EndsWith('m') => (text[..^1], 60.0),
            _ => (text, 1.0),
        };
        return double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value >= 0
            ? TimeSpan.FromSeconds(value * scale)
            : throw new UsageException($"Option '{name}' must be a duration such as 250ms, 3s or 2m, got '{text}'.");
    }

    private double GetNumber(string name, double fallback, double min)
    {
        if (!_values.TryGetValue(name, out var text))
        {
            return fallback;
        }

        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || value < min)
        {
            throw new UsageException($"Option '{name}' must be a number >= {min}, got '{text}'.");
        }

        return value;
    }
}
