using System.Collections.Frozen;
using System.Numerics;
using Tether.Pb;
using Tether.Pb.Banana;
using Tether.Pb.Jelly;

namespace Tether.Tests.Pb;

public sealed class JellyTests
{
    private readonly JellySerializer _jelly = new(new PbTypeRegistry()
        .RegisterCopyable("example.Point", Point.FromState, p => p.ToState())
        .RegisterCacheable("example.Status"));

    public static TheoryData<object?, string> Values => new()
    {
        { null, "None" },
        { true, "True" },
        { false, "False" },
        { 0L, "0" },
        { -42, "-42" },
        { BigInteger.Pow(3, 200), BigInteger.Pow(3, 200).ToString() },
        { -BigInteger.Pow(2, 100), (-BigInteger.Pow(2, 100)).ToString() },
        { 2.5, "2.5" },
        { "héllo wörld ☃ 𝄞", "'héllo wörld ☃ 𝄞'" },
        { string.Empty, "''" },
        { new byte[] { 0, 0xFF, (byte)'a' }, "b'\\x00\\xffa'" },
        { "None"u8.ToArray(), "b'None'" },
        { new List<object?> { 1L, "a", null, new List<object?>() }, "[1, 'a', None, []]" },
        { new PbTuple(1L, new PbTuple()), "(1, ())" },
        { (1, "x"), "(1, 'x')" },
        { new Dictionary<object, object?> { ["k"] = 1L, [new PbTuple(1L, 2L)] = "t", ["b"u8.ToArray()] = null }, "{'k': 1, (1, 2): 't', b'b': None}" },
        { new HashSet<object> { 1L }, "{1}" },
        { new[] { (object)7L }.ToFrozenSet(), "frozenset({7})" },
        { new PbDecimal(-12345, -2), "PbDecimal { Coefficient = -12345, Exponent = -2 }" },
        { new PbUnpersistable("why"), "PbUnpersistable { Reason = Unpersistable data: b'why' }" },
    };

    [Theory]
    [MemberData(nameof(Values))]
    public void Values_round_trip_through_banana(object? value, string expected)
    {
        Assert.Equal(expected, PbRepr.Format(RoundTrip(value)));
    }

    public static TheoryData<object> Temporals => new()
    {
        new DateTime(2024, 2, 29, 13, 4, 5).AddTicks(1234560),
        new DateOnly(1999, 12, 31),
        new TimeOnly(23, 59, 58, 999),
        TimeSpan.FromDays(-1.5).Add(TimeSpan.FromTicks(10)),
        TimeSpan.FromSeconds(86399),
    };

    [Theory]
    [MemberData(nameof(Temporals))]
    public void Dates_and_times_round_trip_to_the_microsecond(object value)
    {
        Assert.Equal(value, RoundTrip(value));
    }

    [Fact]
    public void A_timedelta_is_written_in_Python_normal_form()
    {
        Assert.Equal("[b'timedelta', b'-2 43200 1']", PbRepr.Format(_jelly.Jelly(TimeSpan.FromDays(-1.5).Add(TimeSpan.FromTicks(10)))));
    }

    [Fact]
    public void Byte_strings_tuples_and_frozensets_are_keys_by_content()
    {
        var frozen = new object[] { 1L, "a"u8.ToArray() }.ToFrozenSet(PbValueComparer.Instance);
        var dictionary = new Dictionary<object, object?>(PbValueComparer.Instance) { [frozen] = 1L, [new PbTuple("x"u8.ToArray())] = 2L };

        var back = Assert.IsType<Dictionary<object, object?>>(RoundTrip(dictionary));

        Assert.Equal(1L, back[new object[] { "a"u8.ToArray(), 1L }.ToFrozenSet(PbValueComparer.Instance)]);
        Assert.Equal(2L, back[new PbTuple("x"u8.ToArray())]);
        Assert.False(PbValueComparer.Instance.Equals(new HashSet<object> { 1L }, new HashSet<object> { 1L }));
    }

    [Fact]
    public void A_dotnet_decimal_becomes_a_Python_decimal()
    {
        Assert.Equal(new PbDecimal(-12345, -2), RoundTrip(-123.45m));
    }

    [Fact]
    public void Unjellies_the_expressions_Twisted_produces_for_shared_and_cyclic_values()
    {
        // jelly.jelly(l) for l = [1]; l.append(l)
        var cyclic = Assert.IsType<List<object?>>(_jelly.Unjelly(Parse("[b'reference', 1, [b'list', 1, [b'dereference', 1]]]")));
        Assert.Equal(1L, cyclic[0]);
        Assert.Same(cyclic, cyclic[1]);

        // jelly.jelly({'a': l, 'b': l})
        var shared = Assert.IsType<Dictionary<object, object?>>(_jelly.Unjelly(Parse(
            "[b'dictionary', [[b'unicode', b'a'], [b'reference', 1, [b'list', 1, [b'dereference', 1]]]], [[b'unicode', b'b'], [b'dereference', 1]]]")));
        Assert.Same(shared["a"], shared["b"]);

        // jelly.jelly([t, t, {1, 2}, frozenset([3])]) for t = (1, 2)
        var mixed = Assert.IsType<List<object?>>(_jelly.Unjelly(Parse(
            "[b'list', [b'reference', 1, [b'tuple', 1, 2]], [b'dereference', 1], [b'set', 1, 2], [b'frozenset', 3]]")));
        Assert.Same(mixed[0], mixed[1]);
        Assert.Equal("[(1, 2), (1, 2), {1, 2}, frozenset({3})]", PbRepr.Format(mixed));
    }

    [Fact]
    public void Jellies_a_cyclic_list_exactly_as_Twisted_does()
    {
        var list = new List<object?> { 1L };
        list.Add(list);
        Assert.Equal("[b'reference', 1, [b'list', 1, [b'dereference', 1]]]", PbRepr.Format(_jelly.Jelly(list)));

        var inner = new List<object?> { 1L };
        inner.Add(inner);
        var outer = new Dictionary<string, object?> { ["a"] = inner, ["b"] = inner };
        Assert.Equal(
            "[b'dictionary', [[b'unicode', b'a'], [b'reference', 1, [b'list', 1, [b'dereference', 1]]]], [[b'unicode', b'b'], [b'dereference', 1]]]",
            PbRepr.Format(_jelly.Jelly(outer)));
    }

    [Fact]
    public void Shared_and_cyclic_structure_survives_a_round_trip()
    {
        var shared = new List<object?> { "shared" };
        var dictionary = new Dictionary<object, object?>(PbValueComparer.Instance);
        dictionary["self"] = dictionary;
        var tupleHoldingCycle = new List<object?>();
        var tuple = new PbTuple(tupleHoldingCycle, shared);
        tupleHoldingCycle.Add(tuple);
        var point = new Point(1, 2);

        var back = Assert.IsType<List<object?>>(RoundTrip(new List<object?> { shared, shared, dictionary, tuple, point, point }));

        Assert.Same(back[0], back[1]);
        var dictionaryBack = Assert.IsType<Dictionary<object, object?>>(back[2]);
        Assert.Same(dictionaryBack, dictionaryBack["self"]);
        var tupleBack = Assert.IsType<PbTuple>(back[3]);
        Assert.Same(tupleBack, Assert.IsType<List<object?>>(tupleBack[0])[0]);
        Assert.Same(back[0], tupleBack[1]);
        Assert.Equal(new Point(1, 2), back[4]);
        Assert.Same(back[4], back[5]);
    }

    [Fact]
    public void Copyables_cross_by_their_registered_Python_name_and_state()
    {
        var expression = _jelly.Jelly(new Point(3, -4));
        Assert.Equal("[b'example.Point', [b'dictionary', [[b'unicode', b'x'], 3], [[b'unicode', b'y'], -4]]]", PbRepr.Format(expression));

        // A Python 2 peer names attributes with bytes.
        Assert.Equal(new Point(5, 6), _jelly.Unjelly(Parse("[b'example.Point', [b'dictionary', [b'x', 5], [b'y', 6]]]")));
    }

    [Fact]
    public void A_copyable_whose_state_does_not_fit_is_a_jelly_error()
    {
        var ex = Assert.Throws<JellyException>(() => _jelly.Unjelly(Parse("[b'example.Point', [b'dictionary', [[b'unicode', b'x'], 5]]]")));
        Assert.Contains("example.Point", ex.Message, StringComparison.Ordinal);
        Assert.Throws<JellyException>(() => _jelly.Unjelly(Parse("[b'example.Point', [b'list']]")));
    }

    [Fact]
    public void Failures_cross_as_Twisted_CopyableFailure()
    {
        // What a Twisted 22.4 broker sends for a ZeroDivisionError raised by a remote method.
        var failure = Assert.IsType<PbFailure>(_jelly.Unjelly(Parse(
            "[b'twisted.spread.pb.CopyableFailure', [b'dictionary', [[b'unicode', b'count'], 2], [[b'unicode', b'type'], b'builtins.ZeroDivisionError'], " +
            "[[b'unicode', b'value'], [b'unicode', b'division by zero']], [[b'unicode', b'captureVars'], [b'boolean', b'false']], [[b'unicode', b'frames'], [b'list']], " +
            "[[b'unicode', b'stack'], [b'list']], [[b'unicode', b'tb'], [b'None']], [[b'unicode', b'parents'], [b'list', [b'unicode', b'builtins.ZeroDivisionError'], " +
            "[b'unicode', b'builtins.ArithmeticError'], [b'unicode', b'builtins.Exception'], [b'unicode', b'builtins.BaseException'], [b'unicode', b'builtins.object']]], " +
            "[[b'unicode', b'unsafeTracebacks'], 0], [[b'unicode', b'traceback'], [b'unicode', b'Traceback unavailable\\n']]]]")));
        Assert.Equal("builtins.ZeroDivisionError", failure.Type);
        Assert.Equal("division by zero", failure.Value);
        Assert.Equal("Traceback unavailable\n", failure.Traceback);
        Assert.Contains("builtins.ArithmeticError", failure.Parents);

        var sent = new PbFailure("builtins.KeyError", "'missing'");
        var back = Assert.IsType<PbFailure>(RoundTrip(sent));
        Assert.Equal(sent.Type, back.Type);
        Assert.Equal(sent.Parents, back.Parents);
    }

    [Theory]
    [InlineData("[b'class', b'os.system']")]
    [InlineData("[b'module', b'os']")]
    [InlineData("[b'function', b'os.system']")]
    [InlineData("[b'instance', [b'class', b'x.Y'], [b'dictionary']]")]
    [InlineData("[b'method', b'system', [b'None'], [b'class', b'os.X']]")]
    [InlineData("[b'os.system', [b'dictionary']]")]
    [InlineData("[b'copy', 1]")]
    [InlineData("[b'int', 1]")]
    public void Types_Twisted_would_refuse_are_refused(string expression)
    {
        Assert.Throws<InsecureJellyException>(() => _jelly.Unjelly(Parse(expression)));
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("[1, 2]")]
    [InlineData("[b'unicode', b'\\xff']")]
    [InlineData("[b'unicode']")]
    [InlineData("[b'boolean', b'yes']")]
    [InlineData("[b'dereference', 9]")]
    [InlineData("[b'list', [b'reference', 1, [b'list']], [b'reference', 1, [b'list']]]")]
    [InlineData("[b'reference', 1, [b'frozenset', [b'dereference', 1]]]")]
    [InlineData("[b'reference', 1, [b'example.Point', [b'dictionary', [[b'unicode', b'x'], [b'dereference', 1]]]]]")]
    [InlineData("[b'dictionary', [1]]")]
    [InlineData("[b'dictionary', [[b'None'], 1]]")]
    [InlineData("[b'dictionary', [[b'list'], 1]]")]
    [InlineData("[b'set', [b'dictionary']]")]
    [InlineData("[b'datetime', b'2024 13 1']")]
    [InlineData("[b'timedelta', b'1 2']")]
    [InlineData("[b'remote', 1.5]")]
    [InlineData("[b'cached', b'x']")]
    [InlineData("[b'example.Status', 1]")]
    public void Malformed_jelly_is_a_jelly_error(string expression)
    {
        Assert.ThrowsAny<JellyException>(() => _jelly.Unjelly(Parse(expression)));
    }

    [Fact]
    public void Without_hooks_reference_tokens_pass_through_unchanged()
    {
        PbReference[] tokens =
        [
            new PbRemote(PbObjectId.FromNumber(3)), new PbLocal(PbObjectId.Root), new PbCached(4), new PbLocalCache(5),
        ];
        foreach (var token in tokens)
        {
            Assert.Equal(token, RoundTrip(token));
        }

        Assert.Equal("[b'remote', 3]", PbRepr.Format(_jelly.Jelly(tokens[0])));
        Assert.Equal("[b'local', b'root']", PbRepr.Format(_jelly.Jelly(tokens[1])));

        var cache = Assert.IsType<PbNewCache>(_jelly.Unjelly(Parse("[b'example.Status', 7, [b'dictionary', [[b'unicode', b'n'], 1]]]")));
        Assert.Equal(("example.Status", 7L), (cache.TypeName, cache.Id));
        Assert.Equal("{'n': 1}", PbRepr.Format(cache.State));
    }

    [Fact]
    public void Hooks_turn_exported_objects_into_tokens_per_occurrence_and_replicas_once_per_value()
    {
        var hooks = new RecordingHooks();
        var exported = new Exported();
        var cacheable = new CacheableThing();

        var expression = _jelly.Jelly(new List<object?> { exported, exported, cacheable, cacheable }, hooks);

        Assert.Equal(
            "[b'list', [b'remote', 1], [b'remote', 1], [b'reference', 1, [b'example.Status', 9, [b'dictionary', [[b'unicode', b'n'], 1]]]], [b'dereference', 1]]",
            PbRepr.Format(expression));
        Assert.Equal(3, hooks.ToReferenceCalls);

        var back = Assert.IsType<List<object?>>(_jelly.Unjelly(expression, hooks));
        Assert.Equal("resolved PbRemote { Id = 1 }", back[0]);
        Assert.Same(back[2], back[3]);
        Assert.Equal(2 + 1, hooks.FromReferenceCalls);
    }

    [Fact]
    public void Objects_that_are_not_PB_values_are_refused_when_serializing()
    {
        Assert.Throws<ArgumentException>(() => _jelly.Jelly(new Exported()));
        Assert.Throws<ArgumentException>(() => _jelly.Jelly(new RecordingHooks()));
        Assert.ThrowsAny<ArgumentException>(() => _jelly.Jelly("\ud800"));
    }

    [Fact]
    public void Nesting_is_bounded_both_ways()
    {
        var jelly = new JellySerializer(maxDepth: 10);
        object? deep = null;
        for (var i = 0; i < 12; i++)
        {
            deep = new List<object?> { deep };
        }

        Assert.Throws<ArgumentException>(() => jelly.Jelly(deep));
        Assert.Throws<JellyException>(() => jelly.Unjelly(_jelly.Jelly(deep)));
    }

    private object? RoundTrip(object? value)
    {
        var encoder = new BananaEncoder { Dialect = BananaDialect.Pb };
        var expression = Assert.Single(BananaDecoder.DecodeAll(encoder.Encode(_jelly.Jelly(value))));
        return _jelly.Unjelly(expression);
    }

    private static object Parse(string repr) => PythonLiteral.Parse(repr);

    private sealed record Point(long X, long Y)
    {
        public static Point FromState(IReadOnlyDictionary<string, object?> state) => new((long)state["x"]!, (long)state["y"]!);

        public Dictionary<string, object?> ToState() => new Dictionary<string, object?> { ["x"] = X, ["y"] = Y };
    }

    private sealed class Exported;

    private sealed class CacheableThing;

    private sealed class RecordingHooks : IPbReferenceHooks
    {
        public int ToReferenceCalls { get; private set; }

        public int FromReferenceCalls { get; private set; }

        public PbReference? ToReference(object value)
        {
            ToReferenceCalls++;
            return value switch
            {
                Exported => new PbRemote(PbObjectId.FromNumber(1)),
                CacheableThing => new PbNewCache("example.Status", 9, new Dictionary<string, object?> { ["n"] = 1L }),
                _ => null,
            };
        }

        public object? FromReference(PbReference reference)
        {
            FromReferenceCalls++;
            return reference is PbNewCache ? new object() : $"resolved {reference}";
        }
    }
}
