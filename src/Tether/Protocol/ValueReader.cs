using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Numerics;
using Nerdbank.MessagePack;
using Tether.Internal;

namespace Tether.Protocol;

/// <summary>
/// Reads one message's values into the types the receiving code declared (a parameter type, a call's result type),
/// or into natural .NET types where it declared <see cref="object"/>. Every limit is checked before anything is
/// allocated from a length read off the wire.
/// </summary>
internal sealed class ValueReader
{
    private static readonly object UnderConstruction = new();
    private static readonly ConcurrentDictionary<Type, CollectionPlan?> ListPlans = new();
    private static readonly ConcurrentDictionary<Type, Type?> MapTypes = new();

    private readonly TypeRegistry _types;
    private readonly IReferenceCodec? _references;
    private readonly SerializationLimits _limits;
    private List<object?>? _objects;
    private int _depth;

    public ValueReader(TypeRegistry types, IReferenceCodec? references, SerializationLimits limits)
    {
        _types = types;
        _references = references;
        _limits = limits;
    }

    /// <summary>Forgets the previous message's objects.</summary>
    public void Reset()
    {
        _objects?.Clear();
        _depth = 0;
    }

    /// <summary>Reads one value as a <paramref name="target"/>.</summary>
    /// <exception cref="TetherSerializationException">The input does not fit, is malformed, or exceeds a limit.</exception>
    public object? Read(ref MessagePackReader reader, Type target)
    {
        if (++_depth > _limits.MaxDepth)
        {
            throw new TetherSerializationException($"The value nests deeper than the limit of {_limits.MaxDepth} levels.");
        }

        try
        {
            return Fit(ReadCore(ref reader, target), target);
        }
        catch (Exception e) when (IsMalformedInput(e))
        {
            throw Malformed(e);
        }
        finally
        {
            _depth--;
        }
    }

    /// <summary>
    /// Reads one value as a <paramref name="type"/> into slot <paramref name="index"/>: a scalar of <paramref name="kind"/>
    /// as bits, read straight off the wire when it is encoded as one (no box); anything else as <see cref="Read"/> reads it.
    /// </summary>
    /// <exception cref="TetherSerializationException">The input does not fit, is malformed, or exceeds a limit.</exception>
    public void ReadInto(ref MessagePackReader reader, ref ArgumentSlots slots, int index, ArgumentKind kind, Type type)
    {
        try
        {
            // Peeking is inside the guard too: a message may end where the value should be.
            if (kind != ArgumentKind.Object && IsEncodedAs(ref reader, kind))
            {
                slots.Scalar(index) = kind switch
                {
                    ArgumentKind.Int32 => checked((int)reader.ReadInt64()),
                    ArgumentKind.Int64 => reader.ReadInt64(),
                    ArgumentKind.Boolean => reader.ReadBoolean() ? 1 : 0,
                    _ => BitConverter.DoubleToInt64Bits(reader.ReadDouble()),
                };
                return;
            }
        }
        catch (Exception e) when (IsMalformedInput(e))
        {
            throw Malformed(e);
        }

        slots.Put(index, kind, Read(ref reader, type));
    }

    /// <summary>Reads an array header and checks it against the limits and the bytes left.</summary>
    public int ReadArrayHeader(ref MessagePackReader reader)
    {
        var count = reader.ReadArrayHeader();
        CheckCount(ref reader, count, 1);
        return count;
    }

    private object? ReadCore(ref MessagePackReader reader, Type target)
    {
        switch (reader.NextMessagePackType)
        {
            case MessagePackType.Nil:
                reader.ReadNil();
                return null;
            case MessagePackType.Boolean:
                return reader.ReadBoolean();
            case MessagePackType.Integer:
                return reader.NextCode == MessagePackCode.UInt64 ? Numbers.FromUInt64(reader.ReadUInt64(), target) : Numbers.FromInt64(reader.ReadInt64(), target);
            case MessagePackType.Float:
                return Numbers.FromDouble(reader.ReadDouble(), target);
            case MessagePackType.String:
                var text = reader.ReadString();
                return Underlying(target) == typeof(char) && text is { Length: 1 } ? text[0] : text;
            case MessagePackType.Binary:
                var bytes = reader.ReadBytes()?.ToArray() ?? [];
                return Underlying(target) == typeof(ReadOnlyMemory<byte>) ? new ReadOnlyMemory<byte>(bytes)
                    : Underlying(target) == typeof(Memory<byte>) ? new Memory<byte>(bytes) : (object)bytes;
            case MessagePackType.Array:
                return ReadArray(ref reader, target);
            case MessagePackType.Map:
                return ReadMap(ref reader, target);
            case MessagePackType.Extension:
                return ReadExtension(ref reader, target);
            default:
                throw new TetherSerializationException($"Unexpected MessagePack code 0x{reader.NextCode:x2}.");
        }
    }

    private object ReadArray(ref MessagePackReader reader, Type target)
    {
        var peek = reader.CreatePeekReader();
        if (peek.ReadArrayHeader() > 0 && peek.NextMessagePackType == MessagePackType.Extension)
        {
            var marker = peek.ReadExtensionHeader();
            if (marker.Length == 0 && marker.TypeCode == ValueTag.Copy)
            {
                return ReadCopyable(ref reader);
            }

            if (marker.Length == 0 && marker.TypeCode == ValueTag.NewCache)
            {
                reader.ReadArrayHeader();
                reader.ReadExtensionHeader();
                return (_references ?? throw NoReferences()).ReadNewCache(ref reader, this);
            }
        }

        var count = ReadArrayHeader(ref reader);
        var plan = ListPlans.GetOrAdd(target, CollectionPlan.For)
            ?? throw new TetherSerializationException($"Expected {target}, got a list.");
        var collection = plan.Create(count);
        Remember(collection);
        for (var i = 0; i < count; i++)
        {
            plan.Add(collection, i, Read(ref reader, plan.ElementType));
        }

        return collection;
    }

    private object ReadMap(ref MessagePackReader reader, Type target)
    {
        var count = reader.ReadMapHeader();
        CheckCount(ref reader, count, 2);
        var mapType = MapTypes.GetOrAdd(target, MapTypeFor) ?? throw new TetherSerializationException($"Expected {target}, got a dictionary.");
        var map = (System.Collections.IDictionary)Activator.CreateInstance(mapType, count)!;
        Remember(map);
        var arguments = mapType.GetGenericArguments();
        for (var i = 0; i < count; i++)
        {
            var key = Read(ref reader, arguments[0]) ?? throw new TetherSerializationException("A dictionary key is null.");
            map.Add(key, Read(ref reader, arguments[1]));
        }

        return map;
    }

    private object ReadCopyable(ref MessagePackReader reader)
    {
        if (reader.ReadArrayHeader() != 3)
        {
            throw new TetherSerializationException("A copyable must be [marker, name, fields].");
        }

        reader.ReadExtensionHeader();
        var name = Utf8Names.Read(ref reader);
        if (!_types.TryGetCopyable(name, out var shape))
        {
            throw new TetherSerializationException($"The type '{System.Text.Encoding.UTF8.GetString(name)}' is not registered here as a copyable (TypeRegistry.AddCopyable); it was refused.");
        }

        var count = reader.ReadMapHeader();
        CheckCount(ref reader, count, 2);
        if (shape.CreatedBeforeMembers)
        {
            var instance = shape.CreateEmpty();
            Remember(instance);
            for (var i = 0; i < count; i++)
            {
                if (TryReadMember(ref reader, shape, out var member))
                {
                    member.Set!(instance, Read(ref reader, member.Type));
                }
                else
                {
                    Read(ref reader, typeof(object)); // a field this version does not know: tolerated, dropped
                }
            }

            return instance;
        }

        var index = Remember(UnderConstruction);
        var values = default(ArgumentSlots); // on the stack: Construct hands the values to the constructor and keeps none
        shape.NewValues(ref values);
        for (var i = 0; i < count; i++)
        {
            if (TryReadMember(ref reader, shape, out var member))
            {
                CopyableShape.ReadMember(ref reader, this, ref values, member);
            }
            else
            {
                Read(ref reader, typeof(object));
            }
        }

        var built = shape.Construct(ref values);
        _objects![index] = built;
        return built;
    }

    private static bool TryReadMember(ref MessagePackReader reader, CopyableShape shape, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out CopyableMember? member) =>
        shape.TryGetMember(Utf8Names.Read(ref reader), out member);

    private object ReadExtension(ref MessagePackReader reader, Type target)
    {
        var header = reader.ReadExtensionHeader();
        if (header.TypeCode == ValueTag.Timestamp)
        {
            var time = reader.ReadDateTime(header);
            return Underlying(target) == typeof(DateTimeOffset) ? new DateTimeOffset(time) : time;
        }

        if (header.Length > _limits.MaxScalarExtensionLength || header.Length > reader.Sequence.Length - reader.Consumed)
        {
            throw new TetherSerializationException($"An extension of {header.Length} bytes is longer than allowed or than the message.");
        }

        Span<byte> data = stackalloc byte[(int)header.Length];
        reader.ReadRaw(header.Length).MsgPack.CopyTo(data);
        switch (header.TypeCode)
        {
            case ValueTag.Reference or ValueTag.Yours or ValueTag.Cached when data.Length == 4:
                return (_references ?? throw NoReferences()).Resolve(header.TypeCode, BinaryPrimitives.ReadUInt32BigEndian(data));
            case ValueTag.Backref when data.Length == 4:
                var index = BinaryPrimitives.ReadUInt32BigEndian(data);
                if (_objects is null || index >= _objects.Count)
                {
                    throw new TetherSerializationException($"Reference to object #{index}, which was not sent before it.");
                }

                return ReferenceEquals(_objects[(int)index], UnderConstruction)
                    ? throw new TetherSerializationException("A cycle runs through a copyable built by its constructor; give the type settable properties (and a parameterless constructor) to send cyclic graphs.")
                    : _objects[(int)index]!;
            case ValueTag.BigInteger:
                return Numbers.FromBigInteger(new BigInteger(data, isUnsigned: false, isBigEndian: false), target);
            case ValueTag.Guid when data.Length == 16:
                return new Guid(data);
            case ValueTag.TimeSpan when data.Length == 8:
                return TimeSpan.FromTicks(BinaryPrimitives.ReadInt64BigEndian(data));
            default:
                throw new TetherSerializationException($"Unknown or malformed extension {header.TypeCode} ({header.Length} bytes).");
        }
    }

    /// <summary>True when the next value is encoded as the scalar <paramref name="kind"/> reads (a signed integer, a boolean, a float).</summary>
    private static bool IsEncodedAs(ref MessagePackReader reader, ArgumentKind kind) => kind switch
    {
        ArgumentKind.Int32 or ArgumentKind.Int64 => reader.NextMessagePackType == MessagePackType.Integer && reader.NextCode != MessagePackCode.UInt64,
        ArgumentKind.Boolean => reader.NextMessagePackType == MessagePackType.Boolean,
        _ => reader.NextMessagePackType == MessagePackType.Float,
    };

    private static bool IsMalformedInput(Exception e) =>
        e is MessagePackSerializationException or EndOfStreamException or OverflowException or ArgumentException or InvalidCastException or FormatException or System.Reflection.TargetInvocationException or MemberAccessException;

    private static TetherSerializationException Malformed(Exception e) => new($"Malformed value: {e.Message}", e);

    private object? Fit(object? value, Type target)
    {
        if (value is null)
        {
            return target.IsValueType && Nullable.GetUnderlyingType(target) is null
                ? throw new TetherSerializationException($"Expected {target}, got null.")
                : null;
        }

        if (target == typeof(object) || target.IsInstanceOfType(value))
        {
            return value;
        }

        if (_references is not null && _references.TryAdapt(value, target, out var adapted))
        {
            return adapted;
        }

        throw new TetherSerializationException($"Expected {target}, got {value.GetType()}.");
    }

    private int Remember(object value)
    {
        _objects ??= [];
        _objects.Add(value);
        return _objects.Count - 1;
    }

    private void CheckCount(ref MessagePackReader reader, int count, int minimumBytesEach)
    {
        if (count > _limits.MaxCollectionLength)
        {
            throw new TetherSerializationException($"A collection of {count} items exceeds the limit of {_limits.MaxCollectionLength}.");
        }

        if ((long)count * minimumBytesEach > reader.Sequence.Length - reader.Consumed)
        {
            throw new TetherSerializationException($"A collection claims {count} items, more than the message holds.");
        }
    }

    private static Type Underlying(Type type) => Nullable.GetUnderlyingType(type) ?? type;

    private static TetherSerializationException NoReferences() => new("References cannot be read here.");

    private static Type? MapTypeFor(Type target)
    {
        if (target == typeof(object) || target == typeof(System.Collections.IDictionary))
        {
            return typeof(Dictionary<object, object?>);
        }

        if (target.IsGenericType)
        {
            var definition = target.GetGenericTypeDefinition();
            if (definition == typeof(Dictionary<,>) || definition == typeof(IDictionary<,>) || definition == typeof(IReadOnlyDictionary<,>))
            {
                return typeof(Dictionary<,>).MakeGenericType(target.GetGenericArguments());
            }
        }

        return null;
    }

    /// <summary>How to build and fill the collection a target type asks for.</summary>
    private sealed record CollectionPlan(Type ElementType, Func<int, object> Create, Action<object, int, object?> Add)
    {
        public static CollectionPlan? For(Type target)
        {
            if (target == typeof(object) || target == typeof(System.Collections.IList) || target == typeof(System.Collections.IEnumerable) || target == typeof(System.Collections.ICollection))
            {
                return ListOf(typeof(object));
            }

            if (target.IsArray && target.GetArrayRank() == 1)
            {
                var element = target.GetElementType()!;
                return new CollectionPlan(element, count => Array.CreateInstance(element, count), static (array, i, item) => ((Array)array).SetValue(item, i));
            }

            if (!target.IsGenericType || target.GetGenericArguments().Length != 1)
            {
                return null;
            }

            var definition = target.GetGenericTypeDefinition();
            var argument = target.GetGenericArguments()[0];
            if (definition == typeof(List<>) || definition == typeof(IList<>) || definition == typeof(ICollection<>) || definition == typeof(IEnumerable<>)
                || definition == typeof(IReadOnlyList<>) || definition == typeof(IReadOnlyCollection<>))
            {
                return ListOf(argument);
            }

            if (definition == typeof(HashSet<>) || definition == typeof(ISet<>) || definition == typeof(IReadOnlySet<>))
            {
                var setType = typeof(HashSet<>).MakeGenericType(argument);
                var add = setType.GetMethod(nameof(HashSet<int>.Add))!;
                return new CollectionPlan(argument, _ => Activator.CreateInstance(setType)!, (set, _, item) => add.Invoke(set, [item]));
            }

            return null;
        }

        private static CollectionPlan ListOf(Type element)
        {
            var listType = typeof(List<>).MakeGenericType(element);
            return new CollectionPlan(element, count => Activator.CreateInstance(listType, count)!, static (list, _, item) => ((System.Collections.IList)list).Add(item));
        }
    }
}
