using System.Collections.Frozen;
using System.Numerics;
using Tether.Pb;
using Tether.Pb.Jelly;

namespace Tether.Functional.Tests.Pb;

/// <summary>
/// The .NET side of Scripts/pb_jelly_catalogue.py: the same values under the same names, and the
/// structural comparison the interop tests use.
/// </summary>
internal static class JellyCatalogue
{
    /// <summary>Catalogue entries whose jelly Python writes in one definite byte order (no set, no failure state).</summary>
    public static readonly IReadOnlySet<string> ByteExact = new HashSet<string>(StringComparer.Ordinal)
    {
        "none", "true", "false", "zero", "minus_one", "int32_max", "int32_max_plus_one", "int32_min_minus_one",
        "int64_max_plus_one", "int64_min_minus_one", "three_pow_200", "minus_two_pow_400", "float", "negative_zero",
        "huge_float", "infinity", "empty_bytes", "binary_bytes", "vocabulary_bytes", "empty_text", "unicode",
        "nested_list", "tuple", "dict", "shared", "cyclic_list", "cyclic_dict", "decimal", "datetime", "date",
        "time", "timedelta", "copyable",
    };

    public static JellySerializer Serializer() =>
        new(new PbTypeRegistry().RegisterCopyable("example.Point", Point.FromState, point => point.ToState()));

    /// <summary>What Tether sends for each name; unjellied values compare equal to these too (see <see cref="Expected"/>).</summary>
    public static IReadOnlyDictionary<string, object?> Values()
    {
        var shared = new List<object?> { 1L };
        var cyclicList = new List<object?> { 1L };
        cyclicList.Add(cyclicList);
        var cyclicDict = new Dictionary<object, object?>(PbValueComparer.Instance);
        cyclicDict["self"] = cyclicDict;

        return new Dictionary<string, object?>
        {
            ["none"] = null,
            ["true"] = true,
            ["false"] = false,
            ["zero"] = 0L,
            ["minus_one"] = -1L,
            ["int32_max"] = (long)int.MaxValue,
            ["int32_max_plus_one"] = (long)int.MaxValue + 1,
            ["int32_min_minus_one"] = (long)int.MinValue - 1,
            ["int64_max_plus_one"] = (BigInteger)long.MaxValue + 1,
            ["int64_min_minus_one"] = (BigInteger)long.MinValue - 1,
            ["three_pow_200"] = BigInteger.Pow(3, 200),
            ["minus_two_pow_400"] = -BigInteger.Pow(2, 400),
            ["float"] = 1.5,
            ["negative_zero"] = -0.0,
            ["huge_float"] = 1e300,
            ["infinity"] = double.PositiveInfinity,
            ["empty_bytes"] = Array.Empty<byte>(),
            ["binary_bytes"] = Enumerable.Range(0, 256).Select(b => (byte)b).ToArray(),
            ["vocabulary_bytes"] = "list"u8.ToArray(),
            ["empty_text"] = string.Empty,
            ["unicode"] = "héllo ☃ 𝄞 日本語",
            ["nested_list"] = new List<object?> { 1L, new List<object?> { 2L, new List<object?> { 3L, new List<object?>() } }, "x", "y"u8.ToArray() },
            ["tuple"] = new PbTuple(1L, new PbTuple(2L), new PbTuple()),
            ["dict"] = new Dictionary<object, object?>(PbValueComparer.Instance)
            {
                ["a"] = 1L,
                ["b"u8.ToArray()] = new List<object?> { 2L },
                [3L] = new PbTuple(4L),
                [new PbTuple(5L, 6L)] = null,
            },
            ["set"] = new HashSet<object>(PbValueComparer.Instance) { 1L, "two", new PbTuple(3L) },
            ["frozenset"] = new object[] { 1L, "two"u8.ToArray() }.ToFrozenSet(PbValueComparer.Instance),
            ["shared"] = new List<object?> { shared, shared },
            ["cyclic_list"] = cyclicList,
            ["cyclic_dict"] = cyclicDict,
            ["decimal"] = -123.45m,
            ["datetime"] = new DateTime(2024, 2, 29, 13, 4, 5).AddTicks(1234560),
            ["date"] = new DateOnly(1999, 12, 31),
            ["time"] = new TimeOnly(23, 59, 58, 999),
            ["timedelta"] = TimeSpan.FromDays(-0.5).Add(TimeSpan.FromTicks(10)),
            ["copyable"] = new Point(3, -4),
            ["failure"] = new PbFailure("builtins.ValueError", "bad value ☃"),
        };
    }

    /// <summary>What unjellying a name's value must produce (the sent value, in the types jelly returns).</summary>
    public static object? Expected(object? sent) => sent switch
    {
        decimal number => new PbDecimal(new BigInteger(number * (decimal)Math.Pow(10, number.Scale)), -number.Scale),
        _ => sent,
    };

    /// <summary>
    /// Structural equality of PB values: sequences element by element, dictionaries and sets by their
    /// comparer, floats by bits (so -0.0 differs from 0.0), failures by type and message.
    /// </summary>
    public static bool Equivalent(object? expected, object? actual) =>
        Equivalent(expected, actual, new HashSet<(object, object)>(PairComparer.Instance));

    private static bool Equivalent(object? expected, object? actual, HashSet<(object, object)> open)
    {
        if (expected is null || actual is null)
        {
            return expected is null && actual is null;
        }

        if (expected is double number)
        {
            return actual is double other && BitConverter.DoubleToInt64Bits(number) == BitConverter.DoubleToInt64Bits(other);
        }

        if (expected.GetType().IsValueType || expected is string)
        {
            return expected.Equals(actual);
        }

        if (!open.Add((expected, actual)))
        {
            // Already comparing this pair further up: a cycle, equal so far.
            return true;
        }

        return (expected, actual) switch
        {
            (byte[] e, byte[] a) => e.AsSpan().SequenceEqual(a),
            (PbFailure e, PbFailure a) => e.Type == a.Type && e.Value == a.Value,
            (PbTuple e, PbTuple a) => SequenceEquivalent(e, a, open),
            (List<object?> e, List<object?> a) => SequenceEquivalent(e, a, open),
            (Dictionary<object, object?> e, Dictionary<object, object?> a) =>
                e.Count == a.Count && e.All(pair => a.TryGetValue(pair.Key, out var value) && Equivalent(pair.Value, value, open)),
            (IReadOnlySet<object> e, IReadOnlySet<object> a) => (e is HashSet<object>) == (a is HashSet<object>) && e.SetEquals(a),
            _ => expected.GetType() == actual.GetType() && expected.Equals(actual),
        };
    }

    private static bool SequenceEquivalent(IReadOnlyList<object?> expected, IReadOnlyList<object?> actual, HashSet<(object, object)> open) =>
        expected.Count == actual.Count && expected.Zip(actual).All(pair => Equivalent(pair.First, pair.Second, open));

    public sealed record Point(long X, long Y)
    {
        public static Point FromState(IReadOnlyDictionary<string, object?> state) => new((long)state["x"]!, (long)state["y"]!);

        public Dictionary<string, object?> ToState() => new() { ["x"] = X, ["y"] = Y };
    }

    private sealed class PairComparer : IEqualityComparer<(object, object)>
    {
        public static PairComparer Instance { get; } = new();

        public bool Equals((object, object) x, (object, object) y) => ReferenceEquals(x.Item1, y.Item1) && ReferenceEquals(x.Item2, y.Item2);

        public int GetHashCode((object, object) obj) => HashCode.Combine(
            System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(obj.Item1),
            System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(obj.Item2));
    }
}
