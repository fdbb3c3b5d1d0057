using System.Diagnostics.CodeAnalysis;
using System.Reflection;

namespace Tether.Protocol;

/// <summary>
/// What a registered copyable type looks like on the wire: its members, and how to rebuild an instance from them.
/// Built once per type by reflection.
/// </summary>
internal sealed class CopyableShape
{
    public const DynamicallyAccessedMemberTypes NeededMembers =
        DynamicallyAccessedMemberTypes.PublicProperties | DynamicallyAccessedMemberTypes.PublicFields | DynamicallyAccessedMemberTypes.PublicConstructors;

    private readonly Dictionary<string, CopyableMember> _byName;
    private readonly ConstructorInfo? _constructor;
    private readonly CopyableMember[] _constructorMembers;

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
                candidates.Add(new CopyableMember(property.Name, property.PropertyType, property.GetValue, property.SetMethod is not null ? property.SetValue : null));
            }
        }

        foreach (var field in type.GetFields(BindingFlags.Public | BindingFlags.Instance))
        {
            candidates.Add(new CopyableMember(field.Name, field.FieldType, field.GetValue, field.IsInitOnly ? null : field.SetValue));
        }

        var byName = candidates.ToDictionary(m => m.Name, StringComparer.OrdinalIgnoreCase);
        if (type.IsValueType || type.GetConstructor(Type.EmptyTypes) is not null)
        {
            _constructorMembers = [];
        }
        else
        {
            // The public constructor with the most parameters that all name members: a record's primary constructor.
            _constructor = type.GetConstructors()
                .Where(c => c.GetParameters().All(p => p.Name is not null && byName.ContainsKey(p.Name)))
                .MaxBy(c => c.GetParameters().Length)
                ?? throw new ArgumentException($"{type} cannot be a copyable: it needs a public parameterless constructor or one whose parameters are named like its properties.", nameof(type));
            _constructorMembers = [.. _constructor.GetParameters().Select(p => byName[p.Name!])];
        }

        // State is what can be put back: settable members and constructor parameters. Computed properties stay home.
        Members = [.. candidates.Where(m => m.Set is not null || _constructorMembers.Contains(m))];
        _byName = Members.ToDictionary(m => m.Name, StringComparer.OrdinalIgnoreCase);
    }

    public string Name { get; }

    public Type Type { get; }

    /// <summary>The members written on the wire, in declaration order.</summary>
    public IReadOnlyList<CopyableMember> Members { get; }

    /// <summary>True when an instance exists before its members are read, so cycles through it can be rebuilt.</summary>
    public bool CreatedBeforeMembers => _constructor is null;

    public bool TryGetMember(string name, [NotNullWhen(true)] out CopyableMember? member) => _byName.TryGetValue(name, out member);

    /// <summary>Creates an empty instance (only when <see cref="CreatedBeforeMembers"/>).</summary>
    public object CreateEmpty() => Activator.CreateInstance(Type)!;

    /// <summary>Creates an instance from member values read off the wire (missing ones are the type's defaults).</summary>
    public object Construct(Dictionary<CopyableMember, object?> values)
    {
        var arguments = new object?[_constructorMembers.Length];
        for (var i = 0; i < arguments.Length; i++)
        {
            var member = _constructorMembers[i];
            arguments[i] = values.TryGetValue(member, out var value) ? value : DefaultOf(member.Type);
        }

        var instance = _constructor!.Invoke(arguments);
        foreach (var (member, value) in values)
        {
            if (!_constructorMembers.Contains(member))
            {
                member.Set!(instance, value);
            }
        }

        return instance;
    }

    private static object? DefaultOf(Type type) => type.IsValueType ? Activator.CreateInstance(type) : null;
}

/// <summary>One member of a copyable.</summary>
internal sealed record CopyableMember(string Name, Type Type, Func<object?, object?> Get, Action<object?, object?>? Set);
