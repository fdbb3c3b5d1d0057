using System.Collections;
using System.Numerics;
using System.Text;
using Tether.Pb.Jelly;
using Tether.Pb.Protocol;
using Tether.Protocol;
using Tether.Remoting;

namespace Tether.Pb.Remoting;

/// <summary>
/// Turns unjellied PB values into the types a .NET method declares: integers into any integral type (checked),
/// Python <c>bytes</c> into <see cref="string"/> (UTF-8) and back, lists, tuples and sets into arrays and collections,
/// dictionaries into typed dictionaries, the peer's references into <see cref="RemoteReference"/> or a typed proxy,
/// replicas and this side's own exports back into the objects they stand for. Shared and cyclic structures stay
/// shared: a container met twice becomes one converted container.
/// </summary>
internal sealed class PbValueConverter(PbSession session)
{
    private readonly Dictionary<(object Source, Type Target), object> _converted = new(SourceAndTargetComparer.Instance);

    /// <summary>Converts one value (a call's argument, a result, a replica's state) to <paramref name="target"/>.</summary>
    /// <exception cref="TetherSerializationException">The value cannot be read as <paramref name="target"/>.</exception>
    public object? Convert(object? value, Type target)
    {
        try
        {
            return ConvertValue(value, target);
        }
        finally
        {
            _converted.Clear();
        }
    }

    private object? ConvertValue(object? value, Type target)
    {
        if (value is null)
        {
            return !target.IsValueType || Nullable.GetUnderlyingType(target) is not null
                ? null
                : throw Mismatch("None", target);
        }

        target = Nullable.GetUnderlyingType(target) ?? target;
        value = PbSession.Unwrap(value);
        if (target == typeof(object))
        {
            return Naturalize(value);
        }

        if (value is PbRemoteReference peerObject)
        {
            return FromReference(peerObject, target);
        }

        // Containers are rebuilt even when their type fits: references inside them need converting too.
        if (target.IsInstanceOfType(value) && (value is string or byte[] || value is not IEnumerable))
        {
            return value;
        }

        return value switch
        {
            long or int or BigInteger when target.IsEnum => Enum.ToObject(target, ToInteger(value, Enum.GetUnderlyingType(target))),
            long or int or BigInteger when IsNumeric(target) => ToInteger(value, target),
            double number when target == typeof(float) => (float)number,
            double number when target == typeof(decimal) => (decimal)number,
            byte[] bytes when target == typeof(string) => Encoding.UTF8.GetString(bytes),
            string text when target == typeof(byte[]) => Encoding.UTF8.GetBytes(text),
            IDictionary dictionary => ToDictionary(dictionary, target),
            IEnumerable items and not string and not byte[] => ToCollection(items, target),
            _ => throw Mismatch(value.GetType().Name, target),
        };
    }

    /// <summary>For an untyped target: the peer's references and replicas as Tether's objects, containers as .NET ones.</summary>
    private object? Naturalize(object value) => value switch
    {
        PbRemoteReference peerObject => session.Import(peerObject),
        byte[] or string => value,
        IDictionary dictionary => ToDictionary(dictionary, typeof(Dictionary<object, object?>)),
        PbTuple tuple => new PbTuple((object?[])ToCollection(tuple, typeof(object[]))),
        IList list => ToCollection(list, typeof(List<object?>)),
        _ => value, // atoms, and sets, whose items are hashable atoms
    };

    private object FromReference(PbRemoteReference peerObject, Type target)
    {
        var reference = session.Import(peerObject);
        if (target.IsAssignableFrom(typeof(RemoteReference)))
        {
            return reference;
        }

        if (target.IsInterface)
        {
            return reference.As(target);
        }

        reference.Dispose();
        throw Mismatch("a remote reference", target);
    }

    private object ToDictionary(IDictionary source, Type target)
    {
        var (keyType, valueType) = DictionaryTypes(target) ?? throw Mismatch("a dictionary", target);
        if (_converted.TryGetValue((source, target), out var done))
        {
            return done;
        }

        var result = (IDictionary)Activator.CreateInstance(typeof(Dictionary<,>).MakeGenericType(keyType, valueType))!;
        _converted[(source, target)] = result;
        foreach (DictionaryEntry entry in source)
        {
            result[ConvertValue(entry.Key, keyType)!] = ConvertValue(entry.Value, valueType);
        }

        return result;
    }

    private object ToCollection(IEnumerable source, Type target)
    {
        if (_converted.TryGetValue((source, target), out var done))
        {
            return done;
        }

        if (target.IsArray)
        {
            var items = source.Cast<object?>().ToList();
            var array = Array.CreateInstance(target.GetElementType()!, items.Count);
            _converted[(source, target)] = array;
            for (var i = 0; i < items.Count; i++)
            {
                array.SetValue(ConvertValue(items[i], target.GetElementType()!), i);
            }

            return array;
        }

        var (collectionType, itemType) = CollectionTypes(target) ?? throw Mismatch("a sequence", target);
        var collection = Activator.CreateInstance(collectionType)!;
        _converted[(source, target)] = collection;
        var add = collectionType.GetMethod("Add")!;
        foreach (var item in source)
        {
            add.Invoke(collection, [ConvertValue(item, itemType)]);
        }

        return collection;
    }

    private static (Type Key, Type Value)? DictionaryTypes(Type target)
    {
        if (target == typeof(IDictionary) || target == typeof(Hashtable))
        {
            return (typeof(object), typeof(object));
        }

        if (!target.IsGenericType)
        {
            return null;
        }

        var definition = target.GetGenericTypeDefinition();
        var arguments = target.GetGenericArguments();
        return definition == typeof(Dictionary<,>) || definition == typeof(IDictionary<,>) || definition == typeof(IReadOnlyDictionary<,>)
            ? (arguments[0], arguments[1])
            : null;
    }

    private static (Type Collection, Type Item)? CollectionTypes(Type target)
    {
        if (!target.IsGenericType)
        {
            return target == typeof(IList) || target == typeof(IEnumerable) ? (typeof(List<object?>), typeof(object)) : null;
        }

        var definition = target.GetGenericTypeDefinition();
        var item = target.GetGenericArguments()[0];
        if (definition == typeof(HashSet<>) || definition == typeof(ISet<>) || definition == typeof(IReadOnlySet<>))
        {
            return (typeof(HashSet<>).MakeGenericType(item), item);
        }

        return definition == typeof(List<>) || definition == typeof(IList<>) || definition == typeof(IReadOnlyList<>)
            || definition == typeof(ICollection<>) || definition == typeof(IReadOnlyCollection<>) || definition == typeof(IEnumerable<>)
            ? (typeof(List<>).MakeGenericType(item), item)
            : null;
    }

    private static bool IsNumeric(Type type) => Type.GetTypeCode(type) is >= TypeCode.SByte and <= TypeCode.Decimal || type == typeof(BigInteger);

    private static object ToInteger(object value, Type target)
    {
        var integer = value switch
        {
            long number => (BigInteger)number,
            int number => number,
            _ => (BigInteger)value,
        };

        try
        {
            return Type.GetTypeCode(target) switch
            {
                TypeCode.SByte => (sbyte)integer,
                TypeCode.Byte => (byte)integer,
                TypeCode.Int16 => (short)integer,
                TypeCode.UInt16 => (ushort)integer,
                TypeCode.Int32 => (int)integer,
                TypeCode.UInt32 => (uint)integer,
                TypeCode.Int64 => (long)integer,
                TypeCode.UInt64 => (ulong)integer,
                TypeCode.Single => (float)integer,
                TypeCode.Double => (double)integer,
                TypeCode.Decimal => (decimal)integer,
                _ => integer,
            };
        }
        catch (Exception e) when (e is OverflowException or InvalidCastException)
        {
            throw new TetherSerializationException($"the integer {integer} does not fit a {target.Name}", e);
        }
    }

    private static TetherSerializationException Mismatch(string what, Type target) =>
        new($"a PB value ({what}) cannot be read as {target}");

    /// <summary>Keys containers by identity and target type (two targets may convert one container differently).</summary>
    private sealed class SourceAndTargetComparer : IEqualityComparer<(object Source, Type Target)>
    {
        public static SourceAndTargetComparer Instance { get; } = new();

        public bool Equals((object Source, Type Target) x, (object Source, Type Target) y) =>
            ReferenceEquals(x.Source, y.Source) && x.Target == y.Target;

        public int GetHashCode((object Source, Type Target) obj) =>
            HashCode.Combine(System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(obj.Source), obj.Target);
    }
}
