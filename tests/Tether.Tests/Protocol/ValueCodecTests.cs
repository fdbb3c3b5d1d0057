using System.Buffers;
using Nerdbank.MessagePack;
using Tether.Internal;
using Tether.Protocol;

namespace Tether.Tests.Protocol;

/// <summary>Values without a connection: what is written, what is read back, and every limit on untrusted input.</summary>
public sealed class ValueCodecTests
{
    private static readonly TypeRegistry Types = new TypeRegistry().AddCopyable<Item>("Item").AddCopyable<Box>("Box").AddCopyable<Reading>("Reading");

    [Fact]
    public void RoundTripsIntoDeclaredTypes()
    {
        Assert.Equal(42, RoundTrip<int>(42L));
        Assert.Equal((byte)7, RoundTrip<byte>(7));
        Assert.Equal(Color.Blue, RoundTrip<Color>(Color.Blue));
        Assert.Equal(2.5f, RoundTrip<float>(2.5));
        Assert.Equal([1, 2, 3], RoundTrip<int[]>(new List<int> { 1, 2, 3 }));
        Assert.Equal(new HashSet<string> { "a", "b" }, RoundTrip<ISet<string>>(new HashSet<string> { "a", "b" }));
        Assert.Equal(new Dictionary<string, long> { ["k"] = 5 }, RoundTrip<IReadOnlyDictionary<string, long>>(new Dictionary<string, int> { ["k"] = 5 }));
        Assert.Equal(new Item("n", 3), RoundTrip<Item>(new Item("n", 3)));
        Assert.Equal('x', RoundTrip<char>('x'));
        var when = new DateTimeOffset(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);
        Assert.Equal(when, RoundTrip<DateTimeOffset>(when));
    }

    [Fact]
    public void NumbersThatDoNotFitAreRefusedNotWrapped()
    {
        var error = Assert.Throws<TetherSerializationException>(() => RoundTrip<byte>(300));
        Assert.Contains("Malformed value", error.Message, StringComparison.Ordinal);
        Assert.Throws<TetherSerializationException>(() => RoundTrip<int>(long.MaxValue));
        Assert.Throws<TetherSerializationException>(() => RoundTrip<long>(ulong.MaxValue));
        Assert.Throws<TetherSerializationException>(() => RoundTrip<int>(null));
        Assert.Throws<TetherSerializationException>(() => RoundTrip<string>(5));
    }

    [Fact]
    public void UnregisteredTypesAreRefusedOnBothSides()
    {
        var writing = Assert.Throws<TetherSerializationException>(() => Write(new Unlisted()));
        Assert.Contains("register it as a copyable", writing.Message, StringComparison.Ordinal);
        var bytes = Write(new Item("n", 1));
        var reading = Assert.Throws<TetherSerializationException>(() => Read<object>(bytes, new TypeRegistry()));
        Assert.Contains("'Item' is not registered", reading.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SharedListsStayShared()
    {
        var shared = new List<int> { 1 };
        var both = RoundTrip<List<List<int>>>(new[] { shared, shared });
        Assert.Same(both[0], both[1]);
    }

    [Fact]
    public void CycleThroughAConstructorIsRefusedClearly()
    {
        var box = new Box { Name = "outer" };
        box.Self = box;
        var back = RoundTrip<Box>(box);
        Assert.Same(back, back.Self);

        // [copy "Item" {Name: [backref 0]}]: a record cannot contain itself.
        var error = Assert.Throws<TetherSerializationException>(() => Read<object>(Encode((ref MessagePackWriter w) =>
        {
            w.WriteArrayHeader(3);
            w.Write(new ExtensionHeader(ValueTag.Copy, 0));
            w.Write("Item");
            w.WriteMapHeader(1);
            w.Write("Name");
            WriteId(ref w, ValueTag.Backref, 0);
        })));
        Assert.Contains("cycle runs through a copyable built by its constructor", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DepthLimitHolds()
    {
        object nested = 1;
        for (var i = 0; i < 70; i++)
        {
            nested = new object[] { nested };
        }

        Assert.Contains("deeper than the limit of 64", Assert.Throws<TetherSerializationException>(() => Write(nested)).Message, StringComparison.Ordinal);
        var deep = Encode((ref MessagePackWriter w) =>
        {
            for (var i = 0; i < 70; i++)
            {
                w.WriteArrayHeader(1);
            }

            w.Write(1);
        });
        Assert.Contains("deeper than the limit", Assert.Throws<TetherSerializationException>(() => Read<object>(deep)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CollectionLengthsAreCheckedBeforeAnythingIsAllocated()
    {
        // A length beyond the bytes left fails at the header (MessagePack's reader checks), before any allocation.
        var claim = Encode((ref MessagePackWriter w) => w.WriteArrayHeader(int.MaxValue));
        Assert.Contains("Malformed value", Assert.Throws<TetherSerializationException>(() => Read<object>(claim)).Message, StringComparison.Ordinal);
        var map = Encode((ref MessagePackWriter w) => w.WriteMapHeader(1000));
        Assert.Contains("Malformed value", Assert.Throws<TetherSerializationException>(() => Read<object>(map)).Message, StringComparison.Ordinal);

        // A length the message does hold is still bounded by the configured limit.
        var eleven = Encode((ref MessagePackWriter w) =>
        {
            w.WriteArrayHeader(11);
            for (var i = 0; i < 11; i++)
            {
                w.WriteNil();
            }
        });
        var limited = new SerializationLimits { MaxCollectionLength = 10 };
        Assert.Contains("exceeds the limit of 10", Assert.Throws<TetherSerializationException>(() => Read<object>(eleven, limits: limited)).Message, StringComparison.Ordinal);
        Assert.Equal(11, Read<List<object?>>(eleven).Count);
    }

    [Fact]
    public void MalformedTokensAreRefused()
    {
        Assert.Contains("not sent before", Assert.Throws<TetherSerializationException>(() => Read<object>(Encode((ref MessagePackWriter w) => WriteId(ref w, ValueTag.Backref, 3)))).Message, StringComparison.Ordinal);
        Assert.Contains("Unknown or malformed extension", Assert.Throws<TetherSerializationException>(() => Read<object>(Encode((ref MessagePackWriter w) => w.Write(new ExtensionHeader(42, 0))))).Message, StringComparison.Ordinal);
        var hugeInteger = Encode((ref MessagePackWriter w) =>
        {
            w.Write(new ExtensionHeader(ValueTag.BigInteger, 2000));
            w.WriteRaw(new byte[2000]);
        });
        Assert.Contains("longer than allowed", Assert.Throws<TetherSerializationException>(() => Read<object>(hugeInteger)).Message, StringComparison.Ordinal);
        Assert.Contains("References cannot be read here", Assert.Throws<TetherSerializationException>(() => Read<object>(Encode((ref MessagePackWriter w) => WriteId(ref w, ValueTag.Reference, 1)))).Message, StringComparison.Ordinal);
        Assert.Throws<TetherSerializationException>(() => Read<object>([0xc1])); // never-used code
        Assert.Throws<TetherSerializationException>(() => Read<object>([0xdc, 0x00])); // truncated header
    }

    [Fact]
    public void AddedAndMissingFieldsFollowTheVersioningRules()
    {
        var bytes = Encode((ref MessagePackWriter w) =>
        {
            w.WriteArrayHeader(3);
            w.Write(new ExtensionHeader(ValueTag.Copy, 0));
            w.Write("Item");
            w.WriteMapHeader(2);
            w.Write("name");
            w.Write("renamed-case");
            w.Write("Added");
            w.Write("ignored");
        });
        Assert.Equal(new Item("renamed-case", 0), Read<Item>(bytes));
    }

    [Fact]
    public void A_record_gets_every_kind_of_member_through_its_constructor_and_its_init_properties()
    {
        var full = new Reading(-3, long.MinValue, true, 0.1, "x", Guid.NewGuid(), 7) { Note = "set after", Level = 2.5 };
        var back = RoundTrip<Reading>(full);
        Assert.Equal(full, back);
        Assert.Equal("set after", back.Note);
        Assert.Equal(2.5, back.Level);
    }

    [Fact]
    public void A_record_missing_scalar_members_gets_their_defaults()
    {
        var bytes = Encode((ref MessagePackWriter w) =>
        {
            w.WriteArrayHeader(3);
            w.Write(new ExtensionHeader(ValueTag.Copy, 0));
            w.Write("Reading");
            w.WriteMapHeader(2);
            w.Write("Text");
            w.Write("only text");
            w.Write("Level");
            w.Write(4); // an integer where a double is declared: converted as before
        });
        var read = Read<Reading>(bytes);
        Assert.Equal(new Reading(0, 0, false, 0, "only text", Guid.Empty, null) { Level = 4 }, read);
    }

    [Fact]
    public void Values_put_by_member_build_a_copyable_through_its_constructor_or_its_setters()
    {
        // How a PB peer's copyable state becomes an instance: values put member by member, the rest left out.
        var settable = new CopyableShape(typeof(Box), "Box");
        var values = default(ArgumentSlots);
        settable.NewValues(ref values);
        CopyableShape.Put(ref values, settable.Members.Single(m => m.Name == nameof(Box.Name)), "boxed");
        var box = Assert.IsType<Box>(settable.Construct(ref values));
        Assert.Equal("boxed", box.Name);
        Assert.Null(box.Self);

        var constructed = new CopyableShape(typeof(Reading), "Reading");
        values = default;
        constructed.NewValues(ref values);
        CopyableShape.Put(ref values, constructed.Members.Single(m => m.Name == nameof(Reading.Small)), 5);
        CopyableShape.Put(ref values, constructed.Members.Single(m => m.Name == nameof(Reading.Note)), "after");
        Assert.Equal(new Reading(5, 0, false, 0, null, Guid.Empty, null) { Note = "after" }, constructed.Construct(ref values));
    }

    private static T RoundTrip<T>(object? value) => Read<T>(Write(value));

    private static byte[] Write(object? value) => Encode((ref MessagePackWriter w) => new ValueWriter(Types, null, 64).Write(ref w, value));

    private static T Read<T>(byte[] bytes, TypeRegistry? types = null, SerializationLimits? limits = null)
    {
        var reader = new MessagePackReader(new ReadOnlySequence<byte>(bytes));
        return (T)new ValueReader(types ?? Types, null, limits ?? new SerializationLimits()).Read(ref reader, typeof(T))!;
    }

    private static void WriteId(ref MessagePackWriter writer, sbyte tag, uint id) => ValueWriter.WriteId(ref writer, tag, id);

    private static byte[] Encode(WriteAction write)
    {
        using var buffer = new PooledBufferWriter();
        var writer = new MessagePackWriter(buffer);
        write(ref writer);
        writer.Flush();
        return buffer.WrittenMemory.ToArray();
    }

    private delegate void WriteAction(ref MessagePackWriter writer);

    public enum Color
    {
        Red,
        Blue,
    }

    public sealed record Item(string Name, int Count);

    public sealed record Reading(int Small, long Large, bool Flag, double Ratio, string? Text, Guid Id, int? Maybe)
    {
        public string? Note { get; init; }

        public double Level { get; init; }
    }

    public sealed class Box
    {
        public string Name { get; set; } = string.Empty;

        public Box? Self { get; set; }
    }

    private sealed class Unlisted;
}
