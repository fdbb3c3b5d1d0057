using System.Collections;
using System.Collections.Concurrent;
using System.Collections.Frozen;
using System.Collections.Immutable;
using System.Globalization;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Text;

namespace Tether.Pb.Jelly;

/// <summary>
/// One serialization: turns a .NET value into a jelly expression. Objects met more than once (shared
/// or cyclic containers and copyables) are written once as <c>["reference", n, ...]</c> at their first
/// occurrence and as <c>["dereference", n]</c> afterwards, numbering as Twisted does: the first
/// occurrence is rewritten in place when the second is met.
/// </summary>
internal sealed class Jellier(PbTypeRegistry registry, IPbReferenceHooks? hooks, int maxDepth)
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
    private static readonly ConcurrentDictionary<Type, ContainerKind> Kinds = new();

    private readonly Dictionary<object, Node> _preserved = new(ReferenceEqualityComparer.Instance);
    private long _nextReferenceId = 1;

    private enum ContainerKind
    {
        None,
        List,
        Tuple,
        Dictionary,
        Set,
        FrozenSet,
    }

    public object Jelly(object? value, int depth)
    {
        if (depth > maxDepth)
        {
            throw new ArgumentException($"value nested deeper than {maxDepth}", nameof(value));
        }

        switch (value)
        {
            case null:
                return Expression(JellyAtoms.None);
            case bool flag:
                return Expression(JellyAtoms.Boolean, JellyAtoms.Bytes(flag ? JellyAtoms.True : JellyAtoms.False));
            case byte[] bytes:
                return bytes;
            case string text:
                return Expression(JellyAtoms.Unicode, StrictUtf8.GetBytes(text));
            case double number:
                return number;
            case float number:
                return (double)number;
            case decimal number:
                return JellyDecimal(number);
            case PbDecimal number:
                return Expression(JellyAtoms.Decimal, PbIntegers.Normalize(number.Coefficient), (long)number.Exponent);
            case DateTime moment:
                return Expression(JellyAtoms.DateTime, Numbers(moment.Year, moment.Month, moment.Day, moment.Hour, moment.Minute, moment.Second, Microseconds(moment.TimeOfDay)));
            case DateOnly date:
                return Expression(JellyAtoms.Date, Numbers(date.Year, date.Month, date.Day));
            case TimeOnly time:
                return Expression(JellyAtoms.Time, Numbers(time.Hour, time.Minute, time.Second, Microseconds(time.ToTimeSpan())));
            case TimeSpan span:
                return JellyTimeDelta(span);
            case PbUnpersistable unpersistable:
                return Expression(JellyAtoms.Unpersistable, StrictUtf8.GetBytes(unpersistable.Reason));
            case PbReference reference:
                return JellyReference(value, reference, depth);
        }

        if (PbIntegers.TryGetInteger(value, out var integer))
        {
            return PbIntegers.Normalize(integer);
        }

        if (_preserved.TryGetValue(value, out var seen))
        {
            return seen.Dereference(ref _nextReferenceId);
        }

        if (registry.FindByType(value.GetType()) is { } copyable)
        {
            return Preserve(value, node =>
            {
                node.Add(Encoding.UTF8.GetBytes(copyable.TypeName));
                node.Add(JellyState(copyable.ToState(value), depth + 1));
            });
        }

        var kind = Kinds.GetOrAdd(value.GetType(), Classify);
        if (kind == ContainerKind.None)
        {
            var token = hooks?.ToReference(value)
                ?? throw new ArgumentException($"cannot send a {value.GetType()}: it is not a PB value, a registered copyable or a reference the broker knows", nameof(value));
            return JellyReference(value, token, depth);
        }

        return Preserve(value, node => FillContainer(node, kind, value, depth + 1));
    }

    private void FillContainer(Node node, ContainerKind kind, object value, int depth)
    {
        switch (kind)
        {
            case ContainerKind.Dictionary:
                node.Add(JellyAtoms.Bytes(JellyAtoms.Dictionary));
                foreach (DictionaryEntry entry in (IDictionary)value)
                {
                    var key = Jelly(entry.Key, depth);
                    node.Add(new List<object> { key, Jelly(entry.Value, depth) });
                }

                break;
            case ContainerKind.Tuple:
                node.Add(JellyAtoms.Bytes(JellyAtoms.Tuple));
                var tuple = (ITuple)value;
                for (var i = 0; i < tuple.Length; i++)
                {
                    node.Add(Jelly(tuple[i], depth));
                }

                break;
            default:
                node.Add(JellyAtoms.Bytes(kind switch
                {
                    ContainerKind.Set => JellyAtoms.Set,
                    ContainerKind.FrozenSet => JellyAtoms.FrozenSet,
                    _ => JellyAtoms.List,
                }));
                foreach (var item in (IEnumerable)value)
                {
                    node.Add(Jelly(item, depth));
                }

                break;
        }
    }

    private List<object> JellyReference(object value, PbReference reference, int depth) => reference switch
    {
        // A replica is written once per serialization; later occurrences refer back to it, as Twisted's
        // Cacheable.jellyFor does through prepare/preserve.
        PbNewCache cache => Preserve(value, node =>
        {
            node.Add(Encoding.UTF8.GetBytes(cache.TypeName));
            node.Add(cache.Id);
            node.Add(Jelly(cache.State, depth + 1));
        }),
        PbRemote remote => Expression(JellyAtoms.Remote, remote.Id.ToWire()),
        PbLocal local => Expression(JellyAtoms.Local, local.Id.ToWire()),
        PbCached cached => Expression(JellyAtoms.Cached, cached.Id),
        PbLocalCache localCache => Expression(JellyAtoms.LocalCache, localCache.Id),
        _ => throw new ArgumentException($"unknown reference token {reference}", nameof(reference)),
    };

    private List<object> JellyState(IReadOnlyDictionary<string, object?> state, int depth)
    {
        var expression = new List<object> { JellyAtoms.Bytes(JellyAtoms.Dictionary) };
        foreach (var (key, item) in state)
        {
            expression.Add(new List<object> { Jelly(key, depth), Jelly(item, depth) });
        }

        return expression;
    }

    private List<object> Preserve(object value, Action<Node> fill)
    {
        var node = new Node();
        _preserved.Add(value, node);
        fill(node);
        return node.Emitted;
    }

    private static List<object> JellyDecimal(decimal number)
    {
        Span<int> bits = stackalloc int[4];
        decimal.GetBits(number, bits);
        var magnitude = new BigInteger((uint)bits[0]) | (new BigInteger((uint)bits[1]) << 32) | (new BigInteger((uint)bits[2]) << 64);
        var negative = bits[3] < 0;
        var scale = (bits[3] >> 16) & 0xFF;
        return Expression(JellyAtoms.Decimal, PbIntegers.Normalize(negative ? -magnitude : magnitude), (long)-scale);
    }

    private static List<object> JellyTimeDelta(TimeSpan span)
    {
        // Python normalizes to days (any sign), 0 <= seconds < 86400 and 0 <= microseconds < 10^6.
        const long microsecondsPerDay = 86_400_000_000;
        var total = Math.DivRem(span.Ticks, TimeSpan.TicksPerMicrosecond).Quotient;
        var days = Math.DivRem(total, microsecondsPerDay, out var remainder);
        if (remainder < 0)
        {
            days--;
            remainder += microsecondsPerDay;
        }

        return Expression(JellyAtoms.TimeDelta, Numbers(days, remainder / 1_000_000, remainder % 1_000_000));
    }

    private static long Microseconds(TimeSpan timeOfDay) => timeOfDay.Ticks % TimeSpan.TicksPerSecond / TimeSpan.TicksPerMicrosecond;

    private static byte[] Numbers(params long[] numbers) =>
        Encoding.ASCII.GetBytes(string.Join(' ', numbers.Select(n => n.ToString(CultureInfo.InvariantCulture))));

    private static List<object> Expression(string atom, params object[] rest)
    {
        var expression = new List<object>(rest.Length + 1) { JellyAtoms.Bytes(atom) };
        expression.AddRange(rest);
        return expression;
    }

    private static ContainerKind Classify(Type type)
    {
        if (typeof(IDictionary).IsAssignableFrom(type))
        {
            return ContainerKind.Dictionary;
        }

        if (typeof(ITuple).IsAssignableFrom(type))
        {
            return ContainerKind.Tuple;
        }

        var interfaces = type.GetInterfaces();
        if (interfaces.Any(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IImmutableSet<>)) || IsFrozenSet(type))
        {
            return ContainerKind.FrozenSet;
        }

        if (interfaces.Any(i => i.IsGenericType && (i.GetGenericTypeDefinition() == typeof(ISet<>) || i.GetGenericTypeDefinition() == typeof(IReadOnlySet<>))))
        {
            return ContainerKind.Set;
        }

        return typeof(IList).IsAssignableFrom(type) ? ContainerKind.List : ContainerKind.None;
    }

    private static bool IsFrozenSet(Type? type)
    {
        for (; type is not null; type = type.BaseType)
        {
            if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(FrozenSet<>))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The expression emitted for a preserved object. Children are added to <see cref="Body"/>, which
    /// moves under a <c>["reference", n, body]</c> wrapper when the object is met a second time,
    /// even while it is still being filled (a cycle).
    /// </summary>
    private sealed class Node
    {
        private long _referenceId;

        public Node() => Body = Emitted;

        public List<object> Emitted { get; } = [];

        private List<object> Body { get; set; }

        // Body is read only after the child's expression is built: building it may wrap this node.
        public void Add(object child) => Body.Add(child);

        public List<object> Dereference(ref long nextReferenceId)
        {
            if (_referenceId == 0)
            {
                _referenceId = nextReferenceId++;
                Body = [.. Emitted];
                Emitted.Clear();
                Emitted.Add(JellyAtoms.Bytes(JellyAtoms.Reference));
                Emitted.Add(_referenceId);
                Emitted.Add(Body);
            }

            return [JellyAtoms.Bytes(JellyAtoms.Dereference), _referenceId];
        }
    }
}
