namespace Tether.Protocol;

/// <summary>
/// MessagePack extension type codes that carry what plain MessagePack cannot: references to objects that stay where
/// they are, replicas, shared objects, and a few scalar types. See docs/protocol.md, "Values".
/// </summary>
internal static class ValueTag
{
    /// <summary>A reference to one of the sender's exported objects (4-byte big-endian export id).</summary>
    public const sbyte Reference = 1;

    /// <summary>A reference the receiver itself exported, coming back (4-byte big-endian export id).</summary>
    public const sbyte Yours = 2;

    /// <summary>Empty marker opening <c>[marker, typeName, {field: value}]</c>: a copyable sent by value.</summary>
    public const sbyte Copy = 3;

    /// <summary>Empty marker opening <c>[marker, cacheId, typeName, state]</c>: a cacheable's first appearance.</summary>
    public const sbyte NewCache = 4;

    /// <summary>An object already sent in this message (4-byte big-endian index in order of appearance).</summary>
    public const sbyte Backref = 5;

    /// <summary>A cacheable the receiver already holds a replica of (4-byte big-endian cache id).</summary>
    public const sbyte Cached = 6;

    /// <summary>An integer of any size (two's-complement little-endian bytes).</summary>
    public const sbyte BigInteger = 7;

    /// <summary>A GUID (16 bytes, <see cref="Guid.TryWriteBytes(Span{byte})"/> order).</summary>
    public const sbyte Guid = 8;

    /// <summary>A duration (8-byte big-endian count of 100-ns ticks).</summary>
    public const sbyte TimeSpan = 9;

    /// <summary>MessagePack's own timestamp extension, used for <see cref="DateTime"/> and <see cref="DateTimeOffset"/>.</summary>
    public const sbyte Timestamp = -1;
}
