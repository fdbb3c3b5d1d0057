using System.Buffers.Binary;
using System.Collections;
using System.Numerics;
using Nerdbank.MessagePack;

namespace Tether.Protocol;

/// <summary>
/// Writes one message's values as MessagePack. Objects that appear twice in the message (shared or cyclic lists,
/// dictionaries and copyables) are written once and referred to by index afterwards, so graphs keep their shape.
/// </summary>
internal sealed class ValueWriter
{
    private readonly TypeRegistry _types;
    private readonly IReferenceCodec? _references;
    private readonly int _maxDepth;
    private Dictionary<object, int>? _seen;
    private int _nextIndex;
    private int _depth;

    public ValueWriter(TypeRegistry types, IReferenceCodec? references, int maxDepth)
    {
        _types = types;
        _references = references;
        _maxDepth = maxDepth;
    }

    /// <summary>Forgets the previous message's objects: indices start again at 0.</summary>
    public void Reset()
    {
        _seen?.Clear();
        _nextIndex = 0;
        _depth = 0;
    }

    /// <summary>Writes one value.</summary>
    /// <exception cref="TetherSerializationException">The value (or something inside it) cannot be sent.</exception>
    public void Write(ref MessagePackWriter writer, object? value)
    {
        if (TryWriteScalar(ref writer, value))
        {
            return;
        }

        if (_references is not null && _references.TryWrite(ref writer, value!, this))
        {
            return;
        }

        if (++_depth > _maxDepth)
        {
            throw new TetherSerializationException($"The value nests deeper than the limit of {_maxDepth} levels.");
        }

        try
        {
            WriteCompound(ref writer, value!);
        }
        finally
        {
            _depth--;
        }
    }

    /// <summary>Writes the values as a MessagePack array.</summary>
    public void WriteArray(ref MessagePackWriter writer, ReadOnlySpan<object?> values)
    {
        writer.WriteArrayHeader(values.Length);
        foreach (var value in values)
        {
            Write(ref writer, value);
        }
    }

    internal static void WriteId(ref MessagePackWriter writer, sbyte tag, uint id)
    {
        writer.Write(new ExtensionHeader(tag, 4));
        BinaryPrimitives.WriteUInt32BigEndian(writer.GetSpan(4), id);
        writer.Advance(4);
    }

    private static bool TryWriteScalar(ref MessagePackWriter writer, object? value)
    {
        switch (value)
        {
            case null: writer.WriteNil(); return true;
            case string s: writer.Write(s); return true;
            case bool b: writer.Write(b); return true;
            case int i: writer.Write(i); return true;
            case long l: writer.Write(l); return true;
            case double d: writer.Write(d); return true;
            case byte[] bytes: writer.Write(bytes.AsSpan()); return true;
            case ReadOnlyMemory<byte> memory: writer.Write(memory.Span); return true;
            case Memory<byte> memory: writer.Write(memory.Span); return true;
            case Enum e: writer.Write(Convert.ToInt64(e, System.Globalization.CultureInfo.InvariantCulture)); return true;
            case byte u8: writer.Write(u8); return true;
            case sbyte i8: writer.Write(i8); return true;
            case short i16: writer.Write(i16); return true;
            case ushort u16: writer.Write(u16); return true;
            case uint u32: writer.Write(u32); return true;
            case ulong u64: writer.Write(u64); return true;
            case float f: writer.Write(f); return true;
            case char c: writer.Write(c.ToString()); return true;
            case DateTime dt: writer.Write(dt.Kind == DateTimeKind.Utc ? dt : dt.ToUniversalTime()); return true;
            case DateTimeOffset dto: writer.Write(dto.UtcDateTime); return true;
            case TimeSpan span:
                writer.Write(new ExtensionHeader(ValueTag.TimeSpan, 8));
                BinaryPrimitives.WriteInt64BigEndian(writer.GetSpan(8), span.Ticks);
                writer.Advance(8);
                return true;
            case Guid guid:
                writer.Write(new ExtensionHeader(ValueTag.Guid, 16));
                guid.TryWriteBytes(writer.GetSpan(16));
                writer.Advance(16);
                return true;
            case BigInteger big:
                var length = big.GetByteCount();
                writer.Write(new ExtensionHeader(ValueTag.BigInteger, (uint)length));
                big.TryWriteBytes(writer.GetSpan(length), out _);
                writer.Advance(length);
                return true;
            default:
                return false;
        }
    }

    private void WriteCompound(ref MessagePackWriter writer, object value)
    {
        var type = value.GetType();
        var isCopyable = _types.TryGetCopyable(type, out var shape);
        if (!isCopyable && value is not IEnumerable)
        {
            throw new TetherSerializationException(
                $"{type} cannot be sent: register it as a copyable (TypeRegistry.AddCopyable), implement IReferenceable to pass it by reference, or derive it from Cacheable.");
        }

        // Every array, map and copyable takes the next index, as the reader counts them; only reference types can
        // appear again as the same object.
        var index = _nextIndex++;
        if (!type.IsValueType)
        {
            _seen ??= new Dictionary<object, int>(ReferenceEqualityComparer.Instance);
            if (_seen.TryGetValue(value, out var earlier))
            {
                _nextIndex--;
                WriteId(ref writer, ValueTag.Backref, (uint)earlier);
                return;
            }

            _seen.Add(value, index);
        }

        if (isCopyable)
        {
            WriteCopyable(ref writer, value, shape!);
        }
        else if (value is IDictionary dictionary)
        {
            writer.WriteMapHeader(dictionary.Count);
            var entries = dictionary.GetEnumerator();
            while (entries.MoveNext())
            {
                Write(ref writer, entries.Key);
                Write(ref writer, entries.Value);
            }

            (entries as IDisposable)?.Dispose();
        }
        else if (value is ICollection collection)
        {
            writer.WriteArrayHeader(collection.Count);
            foreach (var item in collection)
            {
                Write(ref writer, item);
            }
        }
        else
        {
            var items = ((IEnumerable)value).Cast<object?>().ToList();
            writer.WriteArrayHeader(items.Count);
            foreach (var item in items)
            {
                Write(ref writer, item);
            }
        }
    }

    private void WriteCopyable(ref MessagePackWriter writer, object value, CopyableShape shape)
    {
        writer.WriteArrayHeader(3);
        writer.Write(new ExtensionHeader(ValueTag.Copy, 0));
        writer.Write(shape.Name);
        writer.WriteMapHeader(shape.Members.Length);
        foreach (var member in shape.Members)
        {
            writer.WriteString(member.Utf8Name);
            if (member.WriteUnboxed is { } write)
            {
                write(ref writer, value);
            }
            else
            {
                Write(ref writer, member.Get(value));
            }
        }
    }
}
