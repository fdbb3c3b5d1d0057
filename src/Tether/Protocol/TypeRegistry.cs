using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using Tether.Remoting;

namespace Tether.Protocol;

/// <summary>
/// The allow-list of types that cross a connection by value: copyables (sent field by field) and replica classes
/// (what a peer's cacheable becomes on this side). A type name read from the wire is only ever looked up here; it is
/// never used to load or create a type.
/// </summary>
public sealed class TypeRegistry
{
    private readonly ConcurrentDictionary<string, CopyableShape> _copyablesByName = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<Type, CopyableShape> _copyablesByType = new();
    private readonly ConcurrentDictionary<string, ReplicaShape> _replicasByName = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, CopyableShape>.AlternateLookup<ReadOnlySpan<char>> _copyablesByChars;

    /// <summary>Creates an empty registry.</summary>
    public TypeRegistry()
    {
        _copyablesByChars = _copyablesByName.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>
    /// Allows <typeparamref name="T"/> to be sent and received by value. Public readable properties and fields are its
    /// state; it is rebuilt through a public parameterless constructor and settable members, or through the public
    /// constructor whose parameters match members by name (records).
    /// </summary>
    /// <typeparam name="T">The type.</typeparam>
    /// <param name="name">The name on the wire; both ends must use the same. Defaults to the type's full name.</param>
    /// <returns>This registry, for chaining.</returns>
    public TypeRegistry AddCopyable<[DynamicallyAccessedMembers(CopyableShape.NeededMembers)] T>(string? name = null) => AddCopyable(typeof(T), name);

    /// <summary>Allows <paramref name="type"/> to be sent and received by value; see <see cref="AddCopyable{T}(string?)"/>.</summary>
    /// <param name="type">The type.</param>
    /// <param name="name">The name on the wire; defaults to the type's full name.</param>
    /// <returns>This registry, for chaining.</returns>
    public TypeRegistry AddCopyable([DynamicallyAccessedMembers(CopyableShape.NeededMembers)] Type type, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(type);
        if (typeof(IReferenceable).IsAssignableFrom(type) || typeof(Cacheable).IsAssignableFrom(type))
        {
            throw new ArgumentException($"{type} is passed by reference or as a cache; it cannot also be a copyable.", nameof(type));
        }

        var shape = new CopyableShape(type, name ?? type.FullName ?? type.Name);
        if (!_copyablesByName.TryAdd(shape.Name, shape) && _copyablesByName[shape.Name].Type != type)
        {
            throw new ArgumentException($"The copyable name '{shape.Name}' is already registered for {_copyablesByName[shape.Name].Type}.", nameof(name));
        }

        _copyablesByType[type] = _copyablesByName[shape.Name];
        return this;
    }

    /// <summary>
    /// Makes a peer's cacheable named <paramref name="name"/> arrive here as a <typeparamref name="TReplica"/>.
    /// </summary>
    /// <typeparam name="TReplica">The replica class; needs a public parameterless constructor.</typeparam>
    /// <param name="name">The cacheable's <see cref="Cacheable.CacheName"/> on the owner's side.</param>
    /// <returns>This registry, for chaining.</returns>
    public TypeRegistry AddRemoteCache<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicParameterlessConstructor | DynamicallyAccessedMemberTypes.PublicMethods)] TReplica>(string name)
        where TReplica : RemoteCache, new()
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var shape = new ReplicaShape(name, typeof(TReplica), static () => new TReplica());
        if (!_replicasByName.TryAdd(name, shape) && _replicasByName[name].Type != typeof(TReplica))
        {
            throw new ArgumentException($"The cache name '{name}' is already registered for {_replicasByName[name].Type}.", nameof(name));
        }

        return this;
    }

    internal bool TryGetCopyable(Type type, [NotNullWhen(true)] out CopyableShape? shape) => _copyablesByType.TryGetValue(type, out shape);

    internal bool TryGetCopyable(string name, [NotNullWhen(true)] out CopyableShape? shape) => _copyablesByName.TryGetValue(name, out shape);

    /// <summary>Finds a copyable by its name as read off the wire (UTF-8), without making a string of it.</summary>
    internal bool TryGetCopyable(ReadOnlySpan<byte> utf8Name, [NotNullWhen(true)] out CopyableShape? shape) => Utf8Names.TryGetValue(_copyablesByChars, utf8Name, out shape);

    internal bool TryGetReplica(string name, [NotNullWhen(true)] out ReplicaShape? shape) => _replicasByName.TryGetValue(name, out shape);

    /// <summary>Every registered copyable (for protocols that register them in their own terms).</summary>
    internal IEnumerable<CopyableShape> Copyables => _copyablesByType.Values;

    /// <summary>Every registered replica class.</summary>
    internal IEnumerable<ReplicaShape> Replicas => _replicasByName.Values;
}

/// <summary>How to build the replica of a cacheable the peer calls <see cref="Name"/>.</summary>
internal sealed record ReplicaShape(string Name, Type Type, Func<RemoteCache> Create);
