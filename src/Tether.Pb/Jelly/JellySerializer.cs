using Tether.Pb.Banana;

namespace Tether.Pb.Jelly;

/// <summary>
/// Jelly, PB's object serialization, between .NET values and banana expressions.
/// </summary>
/// <remarks>
/// <para>Python and .NET values correspond as follows (serializing accepts the left column and more
/// .NET types; unserializing produces exactly the left column):</para>
/// <list type="table">
/// <item><term>null</term><description>None</description></item>
/// <item><term>bool</term><description>bool</description></item>
/// <item><term>long, or BigInteger when it does not fit (any .NET integer is accepted)</term><description>int</description></item>
/// <item><term>double (float accepted)</term><description>float</description></item>
/// <item><term>byte[]</term><description>bytes</description></item>
/// <item><term>string</term><description>str</description></item>
/// <item><term><see cref="List{T}"/> of object? (any IList accepted)</term><description>list</description></item>
/// <item><term><see cref="PbTuple"/> (any ITuple, e.g. a C# value tuple, accepted)</term><description>tuple</description></item>
/// <item><term><see cref="Dictionary{TKey, TValue}"/> of object to object? with <see cref="PbValueComparer"/> (any IDictionary accepted)</term><description>dict</description></item>
/// <item><term><see cref="HashSet{T}"/> of object (any ISet accepted)</term><description>set</description></item>
/// <item><term>FrozenSet of object (immutable sets accepted)</term><description>frozenset</description></item>
/// <item><term><see cref="PbDecimal"/> (decimal accepted)</term><description>decimal.Decimal</description></item>
/// <item><term>DateTime, DateOnly, TimeOnly, TimeSpan (microsecond precision)</term><description>datetime, date, time, timedelta</description></item>
/// <item><term>registered copyable types, <see cref="PbFailure"/></term><description>pb.Copyable / RemoteCopy, CopyableFailure</description></item>
/// <item><term><see cref="PbReference"/> tokens, or what the hooks make of them</term><description>Referenceable, RemoteReference, Cacheable, RemoteCache</description></item>
/// </list>
/// <para>Shared and cyclic structure survives both ways. A serializer and an unserializer call are
/// independent; one instance may be used from several threads once its registry is complete.</para>
/// </remarks>
public sealed class JellySerializer
{
    private readonly int _maxDepth;

    /// <summary>Creates a serializer that allows the copyables in <paramref name="registry"/> (only failures when null).</summary>
    /// <param name="registry">The allow-list of copyable and cacheable classes.</param>
    /// <param name="maxDepth">Deepest nesting accepted either way.</param>
    public JellySerializer(PbTypeRegistry? registry = null, int maxDepth = BananaOptions.DefaultMaxDepth)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxDepth, 1);
        Registry = registry ?? new PbTypeRegistry();
        _maxDepth = maxDepth;
    }

    /// <summary>The allow-list of copyable and cacheable classes.</summary>
    public PbTypeRegistry Registry { get; }

    /// <summary>Serializes <paramref name="value"/> to a banana expression.</summary>
    /// <param name="value">A PB value (see the remarks).</param>
    /// <param name="hooks">Turns other objects into reference tokens; without hooks they are refused.</param>
    /// <exception cref="ArgumentException">Something in the value cannot be sent.</exception>
    public object Jelly(object? value, IPbReferenceHooks? hooks = null) =>
        new Jellier(Registry, hooks, _maxDepth).Jelly(value, depth: 0);

    /// <summary>Unserializes a banana expression.</summary>
    /// <param name="expression">What a <see cref="BananaDecoder"/> produced.</param>
    /// <param name="hooks">Turns reference tokens into objects; without hooks the tokens themselves are returned.</param>
    /// <exception cref="JellyException">The expression is malformed.</exception>
    /// <exception cref="InsecureJellyException">The expression names a type that is not allowed.</exception>
    public object? Unjelly(object expression, IPbReferenceHooks? hooks = null) =>
        new Unjellier(Registry, hooks, _maxDepth).Unjelly(expression, depth: 0);
}
