using System.Globalization;

namespace Tether.Benchmarks.Cli;

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

    public int GetInt(string name, int fallback, int min = 1) => (int)GetNumber(name, fallback, min);

    public double GetSeconds(string name, double fallback) => GetNumber(name, fallback, 0);

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
