using System.Collections.Immutable;
using System.Diagnostics.CodeAnalysis;
using System.Linq.Expressions;
using System.Reflection;
using System.Text;
using Nerdbank.MessagePack;
using Tether.Internal;

namespace Tether.Protocol;

/// <summary>
/// What a registered copyable type looks like on the wire: its members, and how to rebuild an instance from them.
/// Built once per type by reflection.
/// </summary>
internal sealed class CopyableShape
{
    public const DynamicallyAccessedMemberTypes NeededMembers =
        DynamicallyAccessedMemberTypes.PublicProperties | DynamicallyAccessedMemberTypes.PublicFields | DynamicallyAccessedMemberTypes.PublicConstructors;

    private readonly Dictionary<string, CopyableMember>.AlternateLookup<ReadOnlySpan<char>> _byChars;
    private readonly Construction? _construct;
    private readonly CopyableMember[] _constructorMembers;
    private readonly CopyableMember[] _setAfterConstruction;

    public CopyableShape([DynamicallyAccessedMembers(NeededMembers)] Type type, string name)
    {
        if (type.IsAbstract || type.IsInterface || type.IsGenericTypeDefinition)
        {
            throw new ArgumentException($"{type} cannot be a copyable: it must be a concrete type.", nameof(type));
        }

        Type = type;
        Name = name;
        var candidates = new List<CopyableMember>();
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.GetMethod is { IsPublic: true } && property.GetIndexParameters().Length == 0)
            {
                candidates.Add(new CopyableMember(property.Name, property.PropertyType, Accessors.Getter(type, property), property.SetMethod is null ? null : Accessors.Setter(type, property))
                {
                    WriteUnboxed = Accessors.UnboxedWriter(type, property, property.PropertyType),
                });
            }
        }

        foreach (var field in type.GetFields(BindingFlags.Public | BindingFlags.Instance))
        {
            candidates.Add(new CopyableMember(field.Name, field.FieldType, Accessors.Getter(type, field), field.IsInitOnly ? null : Accessors.Setter(type, field))
            {
                WriteUnboxed = Accessors.UnboxedWriter(type, field, field.FieldType),
            });
        }

        var byName = candidates.ToDictionary(m => m.Name, StringComparer.OrdinalIgnoreCase);
        ConstructorInfo? constructor = null;
        if (type.IsValueType || type.GetConstructor(Type.EmptyTypes) is not null)
        {
            _constructorMembers = [];
        }
        else
        {
            // The public constructor with the most parameters that all name members (and take their values): a
            // record's primary constructor.
            constructor = type.GetConstructors()
                .Where(c => c.GetParameters().All(p => p.Name is not null && byName.TryGetValue(p.Name, out var m) && p.ParameterType.IsAssignableFrom(m.Type)))
                .MaxBy(c => c.GetParameters().Length)
                ?? throw new ArgumentException($"{type} cannot be a copyable: it needs a public parameterless constructor or one whose parameters are named like its properties.", nameof(type));
            _constructorMembers = [.. constructor.GetParameters().Select(p => byName[p.Name!])];
        }

        // State is what can be put back: settable members and constructor parameters. Computed properties stay home.
        Members = [.. candidates.Where(m => m.Set is not null || _constructorMembers.Contains(m)).Select((m, i) => m with { Index = i })];
        _byChars = Members.ToDictionary(m => m.Name, StringComparer.OrdinalIgnoreCase).GetAlternateLookup<ReadOnlySpan<char>>();
        _constructorMembers = [.. _constructorMembers.Select(m => _byChars.Dictionary[m.Name])];
        _setAfterConstruction = [.. Members.Where(m => !_constructorMembers.Contains(m))];
        _construct = constructor is null ? null : Compile(constructor, _constructorMembers);
    }

    public string Name { get; }

    public Type Type { get; }

    /// <summary>The members written on the wire, in declaration order (an immutable array: enumerating it allocates nothing).</summary>
    public ImmutableArray<CopyableMember> Members { get; }

    /// <summary>True when an instance exists before its members are read, so cycles through it can be rebuilt.</summary>
    public bool CreatedBeforeMembers => _construct is null;

    /// <summary>Finds a member by its name as read off the wire (UTF-8), without making a string of it.</summary>
    public bool TryGetMember(ReadOnlySpan<byte> utf8Name, [NotNullWhen(true)] out CopyableMember? member) => Utf8Names.TryGetValue(_byChars, utf8Name, out member);

    /// <summary>Creates an empty instance (only when <see cref="CreatedBeforeMembers"/>).</summary>
    public object CreateEmpty() => Activator.CreateInstance(Type)!;

    /// <summary>Makes a slot per member in <paramref name="values"/>, each <see cref="Missing"/> until read.</summary>
    public void NewValues(ref ArgumentSlots values)
    {
        values.Allocate(Members.Length);
        for (var i = 0; i < Members.Length; i++)
        {
            values.Object(i) = Missing;
        }
    }

    /// <summary>Marks a member the sender did not send (in its object slot, whatever its kind).</summary>
    public static object Missing { get; } = new();

    /// <summary>True when <paramref name="member"/> was read or put into <paramref name="values"/>.</summary>
    private static bool IsPresent(in ArgumentSlots values, CopyableMember member) => !ReferenceEquals(values.GetObject(member.Index), Missing);

    /// <summary>Reads <paramref name="member"/>'s value off the wire into its slot (a scalar as bits).</summary>
    public static void ReadMember(ref MessagePackReader reader, ValueReader valueReader, ref ArgumentSlots values, CopyableMember member)
    {
        values.Object(member.Index) = null; // present
        valueReader.ReadInto(ref reader, ref values, member.Index, member.Kind, member.Type);
    }

    /// <summary>Puts a value already of <paramref name="member"/>'s type into its slot.</summary>
    public static void Put(ref ArgumentSlots values, CopyableMember member, object? value)
    {
        values.Object(member.Index) = null; // present
        values.Put(member.Index, member.Kind, value);
    }

    /// <summary>
    /// Creates an instance from member values: through its constructor (missing arguments are their types' defaults),
    /// or empty when it has a parameterless one; then sets the members the values hold that the constructor did not take.
    /// </summary>
    public object Construct(ref ArgumentSlots values)
    {
        foreach (var member in _constructorMembers)
        {
            if (!IsPresent(values, member))
            {
                values.Put(member.Index, member.Kind, ArgumentKinds.DefaultOf(member.Type));
            }
        }

        var instance = _construct is { } construct ? construct(ref values) : CreateEmpty();
        foreach (var member in _setAfterConstruction)
        {
            if (IsPresent(values, member))
            {
                member.Set!(instance, values.Get(member.Index, member.Kind));
            }
        }

        return instance;
    }

    /// <summary>The constructor as a delegate that takes each argument from its member's slot as its own type (no boxed scalars).</summary>
    private static Construction Compile(ConstructorInfo constructor, CopyableMember[] members)
    {
        var slots = Expression.Parameter(typeof(ArgumentSlots).MakeByRefType(), "values");
        var arguments = constructor.GetParameters().Select((p, i) => Expression.Convert(ArgumentKinds.Take(slots, members[i].Index, members[i].Type), p.ParameterType));
        return Expression.Lambda<Construction>(Expression.Convert(Expression.New(constructor, arguments), typeof(object)), slots).Compile();
    }

    private delegate object Construction(ref ArgumentSlots values);
}

/// <summary>One member of a copyable.</summary>
internal sealed record CopyableMember(string Name, Type Type, Func<object, object?> Get, Action<object, object?>? Set)
{
    /// <summary>How the member's value travels in a slot while the instance is rebuilt.</summary>
    public ArgumentKind Kind { get; } = ArgumentKinds.For(Type);

    /// <summary>The name as UTF-8, written as it is.</summary>
    public byte[] Utf8Name { get; } = Encoding.UTF8.GetBytes(Name);

    /// <summary>Position in <see cref="CopyableShape.Members"/>.</summary>
    public int Index { get; init; }

    /// <summary>Writes the member's value without boxing it, for the scalar types that have such a writer; else null.</summary>
    public MemberWriter? WriteUnboxed { get; init; }
}

/// <summary>Writes one member of <paramref name="instance"/>.</summary>
internal delegate void MemberWriter(ref MessagePackWriter writer, object instance);

/// <summary>Compiled member access: reflection's GetValue/SetValue cost more than the rest of serializing a small object.</summary>
internal static class Accessors
{
    public static Func<object, object?> Getter(Type owner, MemberInfo member) => Getter<object?>(owner, member);

    /// <summary>
    /// A writer that reads the member as its own type and writes it as <see cref="ValueWriter"/> would write it boxed,
    /// for the scalar types common in copyables (a boxed int per member per message otherwise); null for other types.
    /// </summary>
    public static MemberWriter? UnboxedWriter(Type owner, MemberInfo member, Type type) =>
        type == typeof(int) ? Unboxed(Getter<int>(owner, member), static (ref MessagePackWriter writer, int value) => writer.Write(value))
        : type == typeof(long) ? Unboxed(Getter<long>(owner, member), static (ref MessagePackWriter writer, long value) => writer.Write(value))
        : type == typeof(bool) ? Unboxed(Getter<bool>(owner, member), static (ref MessagePackWriter writer, bool value) => writer.Write(value))
        : type == typeof(double) ? Unboxed(Getter<double>(owner, member), static (ref MessagePackWriter writer, double value) => writer.Write(value))
        : null;

    public static Action<object, object?> Setter(Type owner, MemberInfo member)
    {
        if (owner.IsValueType)
        {
            // A compiled setter would write into an unboxed copy; reflection writes into the box itself.
            return member is PropertyInfo p ? p.SetValue : ((FieldInfo)member).SetValue;
        }

        var instance = Expression.Parameter(typeof(object));
        var value = Expression.Parameter(typeof(object));
        var target = Expression.Convert(instance, owner);
        Expression write = member is PropertyInfo property
            ? Expression.Call(target, property.SetMethod!, Expression.Convert(value, property.PropertyType))
            : Expression.Assign(Expression.Field(target, (FieldInfo)member), Expression.Convert(value, ((FieldInfo)member).FieldType));
        return Expression.Lambda<Action<object, object?>>(write, instance, value).Compile();
    }

    private static Func<object, T> Getter<T>(Type owner, MemberInfo member)
    {
        var instance = Expression.Parameter(typeof(object));
        var read = Expression.MakeMemberAccess(Expression.Convert(instance, owner), member);
        return Expression.Lambda<Func<object, T>>(Expression.Convert(read, typeof(T)), instance).Compile();
    }

    private static MemberWriter Unboxed<T>(Func<object, T> get, ScalarWriter<T> write) =>
        (ref MessagePackWriter writer, object instance) => write(ref writer, get(instance));

    private delegate void ScalarWriter<T>(ref MessagePackWriter writer, T value);
}
