namespace Tether.Pb.Jelly;

/// <summary>
/// PB's reference tokens as they appear in jelly. A serializer writes them in place of objects the
/// broker exports or replicates; an unserializer hands them to <see cref="IPbReferenceHooks.FromReference"/>
/// (or returns them as they are when there are no hooks). Each names the object from the point of view
/// of the side that <em>sends</em> the token.
/// </summary>
public abstract record PbReference;

/// <summary>
/// <c>["remote", id]</c>: the sender exports one of its objects (a Referenceable) under <paramref name="Id"/>;
/// the receiver gets a remote reference. Each token sent counts one reference on the sender, so the
/// receiver owes one <c>decref</c> per token received.
/// </summary>
public sealed record PbRemote(PbObjectId Id) : PbReference;

/// <summary>
/// <c>["local", id]</c>: the sender hands back a remote reference it holds, so <paramref name="Id"/> is one
/// of the <em>receiver's</em> exports and unjellies to the receiver's own object.
/// </summary>
public sealed record PbLocal(PbObjectId Id) : PbReference;

/// <summary>
/// <c>[type, id, state]</c> for a type registered as cacheable: the sender replicates one of its
/// Cacheables for the first time; the receiver builds a replica of <paramref name="TypeName"/> from
/// <paramref name="State"/> and keeps it under <paramref name="Id"/> for cache messages.
/// </summary>
public sealed record PbNewCache(string TypeName, long Id, object? State) : PbReference;

/// <summary><c>["cached", id]</c>: a Cacheable the sender replicated earlier on this connection; the receiver's existing replica.</summary>
public sealed record PbCached(long Id) : PbReference;

/// <summary><c>["lcache", id]</c>: the sender returns a replica it holds, so <paramref name="Id"/> is the receiver's own Cacheable.</summary>
public sealed record PbLocalCache(long Id) : PbReference;

/// <summary>
/// What a Python peer sends for data it would not or could not serialize: <c>["unpersistable", reason]</c>.
/// </summary>
public sealed record PbUnpersistable(string Reason);

/// <summary>A Python <c>decimal.Decimal</c>: <c>Coefficient * 10^Exponent</c>, exact at any precision.</summary>
public sealed record PbDecimal(System.Numerics.BigInteger Coefficient, int Exponent);
