namespace Tether.Pb.Jelly;

/// <summary>
/// The allow-list of classes that cross by value. Each entry maps a Python class name (the copy tag,
/// e.g. <c>"buildbot.worker.protocols.pb.FileInfo"</c>) to a .NET type and the two functions that turn
/// one into the state dictionary Python sends. A class name that is not registered is refused with an
/// <see cref="InsecureJellyException"/>; a type name from the wire never selects a .NET type otherwise.
/// Twisted's <c>CopyableFailure</c> (<see cref="PbFailure"/>) is always registered.
/// </summary>
/// <remarks>Register everything before the registry is used; registration is not thread-safe.</remarks>
public sealed class PbTypeRegistry
{
    /// <summary>Python class name of a failure sent in an error answer.</summary>
    public const string FailureTypeName = "twisted.spread.pb.CopyableFailure";

    private readonly Dictionary<string, PbCopyableType> _byName = new(StringComparer.Ordinal);
    private readonly Dictionary<Type, PbCopyableType> _byType = [];
    private readonly HashSet<string> _cacheable = new(StringComparer.Ordinal);

    /// <summary>Creates a registry that knows only <see cref="PbFailure"/>.</summary>
    public PbTypeRegistry() => RegisterCopyable(FailureTypeName, PbFailure.FromState, failure => failure.ToState());

    /// <summary>
    /// Registers a copyable class: values of <typeparamref name="T"/> are sent as <paramref name="typeName"/>
    /// with the state <paramref name="toState"/> returns, and <paramref name="typeName"/> received is built
    /// with <paramref name="fromState"/>. State keys are attribute names; values are PB values.
    /// </summary>
    /// <returns>This registry, for chaining.</returns>
    /// <exception cref="ArgumentException">The name or type is already registered.</exception>
    public PbTypeRegistry RegisterCopyable<T>(
        string typeName,
        Func<IReadOnlyDictionary<string, object?>, T> fromState,
        Func<T, IReadOnlyDictionary<string, object?>> toState)
        where T : class
    {
        ArgumentException.ThrowIfNullOrEmpty(typeName);
        ArgumentNullException.ThrowIfNull(fromState);
        ArgumentNullException.ThrowIfNull(toState);
        EnsureNameIsFree(typeName);
        if (_byType.ContainsKey(typeof(T)))
        {
            throw new ArgumentException($"{typeof(T)} is already registered as {_byType[typeof(T)].TypeName}", nameof(toState));
        }

        return RegisterCopyable(typeName, typeof(T), state => fromState(state), value => toState((T)value));
    }

    /// <summary>The untyped form of <see cref="RegisterCopyable{T}"/>, for types known only at run time.</summary>
    internal PbTypeRegistry RegisterCopyable(
        string typeName,
        Type type,
        Func<IReadOnlyDictionary<string, object?>, object> fromState,
        Func<object, IReadOnlyDictionary<string, object?>> toState)
    {
        EnsureNameIsFree(typeName);
        if (!_byType.TryAdd(type, new PbCopyableType(typeName, type, fromState, toState)))
        {
            throw new ArgumentException($"{type} is already registered as {_byType[type].TypeName}", nameof(type));
        }

        _byName.Add(typeName, _byType[type]);
        return this;
    }

    /// <summary>
    /// Allows <paramref name="typeName"/> as a cacheable: received as <c>[typeName, id, state]</c> it becomes
    /// a <see cref="PbNewCache"/> for the broker's hooks, which build the replica.
    /// </summary>
    /// <returns>This registry, for chaining.</returns>
    /// <exception cref="ArgumentException">The name is already registered.</exception>
    public PbTypeRegistry RegisterCacheable(string typeName)
    {
        ArgumentException.ThrowIfNullOrEmpty(typeName);
        EnsureNameIsFree(typeName);
        _cacheable.Add(typeName);
        return this;
    }

    /// <summary>True when <paramref name="typeName"/> was registered with <see cref="RegisterCacheable"/>.</summary>
    public bool IsCacheable(string typeName) => _cacheable.Contains(typeName);

    internal PbCopyableType? FindByName(string typeName) => _byName.GetValueOrDefault(typeName);

    internal PbCopyableType? FindByType(Type type) => _byType.GetValueOrDefault(type);

    private void EnsureNameIsFree(string typeName)
    {
        if (_byName.ContainsKey(typeName) || _cacheable.Contains(typeName))
        {
            throw new ArgumentException($"{typeName} is already registered", nameof(typeName));
        }
    }
}

/// <summary>One registered copyable class.</summary>
internal sealed record PbCopyableType(
    string TypeName,
    Type Type,
    Func<IReadOnlyDictionary<string, object?>, object> FromState,
    Func<object, IReadOnlyDictionary<string, object?>> ToState);
