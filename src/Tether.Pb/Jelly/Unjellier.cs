using System.Collections.Frozen;
using System.Globalization;
using System.Numerics;
using System.Text;

namespace Tether.Pb.Jelly;

/// <summary>
/// One unserialization: turns a jelly expression (as the banana decoder produced it) into .NET
/// values. Only the atoms Twisted's default security allows are honoured, plus the registered
/// copyable and cacheable class names; anything else is an <see cref="InsecureJellyException"/>.
/// </summary>
internal sealed class Unjellier(PbTypeRegistry registry, IPbReferenceHooks? hooks, int maxDepth)
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly Dictionary<long, object?> _references = [];

    // Ids whose object is being built and cannot be handed out yet (anything but a mutable container,
    // which is registered as soon as it exists so that a cycle through it resolves).
    private readonly HashSet<long> _pending = [];

    public object? Unjelly(object? expression, int depth, long? referenceId = null)
    {
        if (expression is not IReadOnlyList<object> list)
        {
            return expression switch
            {
                long or BigInteger or double or byte[] => expression,
                _ => throw new JellyException($"not a jelly expression: {PbRepr.Format(expression)}"),
            };
        }

        if (depth > maxDepth)
        {
            throw new JellyException($"jelly nested deeper than {maxDepth}");
        }

        if (list.Count == 0 || list[0] is not byte[] atomBytes)
        {
            throw new JellyException($"a jelly list must start with a type name: {PbRepr.Format(list)}");
        }

        var atom = Encoding.UTF8.GetString(atomBytes);
        switch (atom)
        {
            case JellyAtoms.None:
                return null;
            case JellyAtoms.Unicode:
                return Text(Single(list, atom));
            case JellyAtoms.Boolean:
                return Boolean(Single(list, atom));
            case JellyAtoms.List:
                var items = new List<object?>();
                Register(referenceId, items);
                for (var i = 1; i < list.Count; i++)
                {
                    items.Add(Unjelly(list[i], depth + 1));
                }

                return items;
            case JellyAtoms.Tuple:
                var tuple = PbTuple.CreateForFilling(list.Count - 1, out var slots);
                Register(referenceId, tuple);
                for (var i = 1; i < list.Count; i++)
                {
                    slots[i - 1] = Unjelly(list[i], depth + 1);
                }

                return tuple;
            case JellyAtoms.Dictionary:
                return Dictionary(list, depth, referenceId);
            case JellyAtoms.Set:
                var set = new HashSet<object>(PbValueComparer.Instance);
                Register(referenceId, set);
                for (var i = 1; i < list.Count; i++)
                {
                    set.Add(Hashable(Unjelly(list[i], depth + 1)));
                }

                return set;
            case JellyAtoms.FrozenSet:
                var elements = new List<object>();
                for (var i = 1; i < list.Count; i++)
                {
                    elements.Add(Hashable(Unjelly(list[i], depth + 1)));
                }

                return elements.ToFrozenSet(PbValueComparer.Instance);
            case JellyAtoms.Reference:
                return Reference(list, depth);
            case JellyAtoms.Dereference:
                return Dereference(list);
            case JellyAtoms.Unpersistable:
                return new PbUnpersistable("Unpersistable data: " + PbRepr.Format(Single(list, atom)));
            case JellyAtoms.Persistent:
                // Twisted's broker has no persistent store; it yields an Unpersistable too.
                return new PbUnpersistable("Persistent callback not found");
            case JellyAtoms.Decimal:
                Expect(list, 3, atom);
                return new PbDecimal(Integer(list[1], "decimal coefficient"), (int)Small(list[2], "decimal exponent", int.MinValue, int.MaxValue));
            case JellyAtoms.DateTime:
            case JellyAtoms.Date:
            case JellyAtoms.Time:
            case JellyAtoms.TimeDelta:
                return Temporal(atom, Single(list, atom));
            case JellyAtoms.Remote:
                return Resolve(new PbRemote(PbObjectId.FromWire(Single(list, atom))));
            case JellyAtoms.Local:
                return Resolve(new PbLocal(PbObjectId.FromWire(Single(list, atom))));
            case JellyAtoms.Cached:
                return Resolve(new PbCached(Small(Single(list, atom), "cache id", 0, long.MaxValue)));
            case JellyAtoms.LocalCache:
                return Resolve(new PbLocalCache(Small(Single(list, atom), "cache id", 0, long.MaxValue)));
            default:
                return Instance(atom, list, depth);
        }
    }

    private object? Instance(string typeName, IReadOnlyList<object> list, int depth)
    {
        if (registry.FindByName(typeName) is { } copyable)
        {
            var state = State(Unjelly(Single(list, typeName), depth + 1), typeName);
            try
            {
                return copyable.FromState(state);
            }
            catch (Exception ex) when (ex is not JellyException)
            {
                throw new JellyException($"the state of a {typeName} does not fit {copyable.Type}: {ex.Message}", ex);
            }
        }

        if (registry.IsCacheable(typeName))
        {
            Expect(list, 3, typeName);
            var id = Small(list[1], "cache id", 0, long.MaxValue);
            return Resolve(new PbNewCache(typeName, id, Unjelly(list[2], depth + 1)));
        }

        throw new InsecureJellyException(JellyAtoms.Refused.Contains(typeName)
            ? $"jelly type \"{typeName}\" is not allowed"
            : $"class \"{typeName}\" is not registered as copyable or cacheable");
    }

    private Dictionary<object, object?> Dictionary(IReadOnlyList<object> list, int depth, long? referenceId)
    {
        var dictionary = new Dictionary<object, object?>(PbValueComparer.Instance);
        Register(referenceId, dictionary);
        for (var i = 1; i < list.Count; i++)
        {
            if (list[i] is not IReadOnlyList<object> { Count: 2 } pair)
            {
                throw new JellyException($"a dictionary entry must be a [key, value] pair: {PbRepr.Format(list[i])}");
            }

            var key = Hashable(Unjelly(pair[0], depth + 1));
            dictionary[key] = Unjelly(pair[1], depth + 1);
        }

        return dictionary;
    }

    private object? Reference(IReadOnlyList<object> list, int depth)
    {
        Expect(list, 3, JellyAtoms.Reference);
        var id = Small(list[1], "reference id", long.MinValue, long.MaxValue);
        if (_references.ContainsKey(id) || !_pending.Add(id))
        {
            throw new JellyException($"reference id {id} defined twice");
        }

        var value = Unjelly(list[2], depth + 1, id);
        if (_pending.Remove(id))
        {
            _references[id] = value;
        }

        return value;
    }

    private object? Dereference(IReadOnlyList<object> list)
    {
        var id = Small(Single(list, JellyAtoms.Dereference), "reference id", long.MinValue, long.MaxValue);
        if (_references.TryGetValue(id, out var value))
        {
            return value;
        }

        throw new JellyException(_pending.Contains(id)
            ? $"dereference {id} points into a value still being built (a cycle through an immutable value or a copyable is not supported)"
            : $"dereference {id} has no matching reference");
    }

    private void Register(long? referenceId, object container)
    {
        if (referenceId is { } id && _pending.Remove(id))
        {
            _references[id] = container;
        }
    }

    private object? Resolve(PbReference reference) => hooks is null ? reference : hooks.FromReference(reference);

    private static Dictionary<string, object?> State(object? state, string typeName)
    {
        if (state is not Dictionary<object, object?> dictionary)
        {
            throw new JellyException($"the state of a {typeName} must be a dictionary, got {PbRepr.Format(state)}");
        }

        var named = new Dictionary<string, object?>(dictionary.Count, StringComparer.Ordinal);
        foreach (var (key, value) in dictionary)
        {
            // Python 3 peers use str attribute names; Python 2 peers sent bytes (RemoteCopy decodes those too).
            named[key switch
            {
                string text => text,
                byte[] bytes => Text(bytes),
                _ => throw new JellyException($"an attribute name of a {typeName} is not a string: {PbRepr.Format(key)}"),
            }] = value;
        }

        return named;
    }

    private static object Hashable(object? value) => value switch
    {
        null => throw new JellyException("None as a dictionary key or set element is not supported"),
        List<object?> or Dictionary<object, object?> or HashSet<object> =>
            throw new JellyException($"unhashable {PbRepr.Format(value)} as a dictionary key or set element"),
        _ => value,
    };

    private static object Single(IReadOnlyList<object> list, string atom)
    {
        Expect(list, 2, atom);
        return list[1];
    }

    private static void Expect(IReadOnlyList<object> list, int count, string atom)
    {
        if (list.Count != count)
        {
            throw new JellyException($"\"{atom}\" takes {count - 1} argument(s): {PbRepr.Format(list)}");
        }
    }

    private static string Text(object value)
    {
        if (value is not byte[] bytes)
        {
            throw new JellyException($"expected a UTF-8 string, got {PbRepr.Format(value)}");
        }

        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException ex)
        {
            throw new JellyException("invalid UTF-8 in a unicode string", ex);
        }
    }

    private static bool Boolean(object value) => Encoding.ASCII.GetString(value as byte[] ?? []) switch
    {
        JellyAtoms.True => true,
        JellyAtoms.False => false,
        _ => throw new JellyException($"a boolean must be \"true\" or \"false\", got {PbRepr.Format(value)}"),
    };

    private static BigInteger Integer(object value, string what) => value switch
    {
        long number => number,
        BigInteger number => number,
        _ => throw new JellyException($"{what} must be an integer, got {PbRepr.Format(value)}"),
    };

    private static long Small(object value, string what, long minimum, long maximum) =>
        value is long number && number >= minimum && number <= maximum
            ? number
            : throw new JellyException($"{what} must be an integer in {minimum}..{maximum}, got {PbRepr.Format(value)}");

    private static object Temporal(string atom, object value)
    {
        var fields = Text(value).Split(' ');
        var numbers = new long[fields.Length];
        for (var i = 0; i < fields.Length; i++)
        {
            if (!long.TryParse(fields[i], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out numbers[i]))
            {
                throw new JellyException($"\"{atom}\" field is not an integer: {PbRepr.Format(value)}");
            }
        }

        try
        {
            return (atom, numbers.Length) switch
            {
                (JellyAtoms.Date, 3) => new DateOnly(Int(numbers[0]), Int(numbers[1]), Int(numbers[2])),
                (JellyAtoms.DateTime, >= 3 and <= 7) => new DateTime(
                    Int(numbers[0]), Int(numbers[1]), Int(numbers[2]), Int(Field(numbers, 3)), Int(Field(numbers, 4)), Int(Field(numbers, 5)), DateTimeKind.Unspecified)
                    .AddTicks(Microsecond(Field(numbers, 6)) * TimeSpan.TicksPerMicrosecond),
                (JellyAtoms.Time, <= 4) => new TimeOnly(Int(Field(numbers, 0)), Int(Field(numbers, 1)), Int(Field(numbers, 2)))
                    .Add(TimeSpan.FromTicks(Microsecond(Field(numbers, 3)) * TimeSpan.TicksPerMicrosecond)),
                (JellyAtoms.TimeDelta, 3) => TimeSpan.FromTicks(checked(
                    (numbers[0] * 86_400_000_000L + numbers[1] * 1_000_000L + numbers[2]) * TimeSpan.TicksPerMicrosecond)),
                _ => throw new JellyException($"\"{atom}\" has {numbers.Length} fields: {PbRepr.Format(value)}"),
            };
        }
        catch (Exception ex) when (ex is ArgumentOutOfRangeException or OverflowException)
        {
            throw new JellyException($"\"{atom}\" out of range: {PbRepr.Format(value)}", ex);
        }
    }

    private static long Field(long[] numbers, int index) => index < numbers.Length ? numbers[index] : 0;

    private static long Microsecond(long value) =>
        value is >= 0 and < 1_000_000 ? value : throw new ArgumentOutOfRangeException(nameof(value), "microsecond must be in 0..999999");

    private static int Int(long value) => checked((int)value);
}
