using Tether.Pb.Banana;
using Tether.Pb.Jelly;

namespace Tether.Pb.Protocol;

/// <summary>Settings for a <see cref="PbConnection"/>.</summary>
public sealed record PbConnectionOptions
{
    /// <summary>Banana limits for both directions; Twisted's by default.</summary>
    public BananaOptions Banana { get; init; } = BananaOptions.Default;

    /// <summary>The copyable types this connection accepts and sends.</summary>
    public PbTypeRegistry Registry { get; init; } = new();

    /// <summary>
    /// The object a connecting peer reaches as <c>root</c> (<c>PBServerFactory(root)</c>); used by
    /// <see cref="PbConnection.AcceptAsync"/>. Null: the root answers every call with PB's "Invalid Object ID".
    /// </summary>
    public IPbCallable? Root { get; init; }

    /// <summary>Most objects one connection exports at a time (Twisted's <c>MAX_BROKER_REFS</c> is 1024).</summary>
    public int MaxExports { get; init; } = 1024;

    /// <summary>
    /// Builds the replica for a cacheable the peer sends (its type must be registered with
    /// <see cref="PbTypeRegistry.RegisterCacheable"/>). A replica that is an <see cref="IPbCallable"/> receives the
    /// owner's observer calls. Null: replicas are refused (the call that carried one fails).
    /// </summary>
    public Func<PbNewCache, object>? ReplicaFactory { get; init; }

    /// <summary>Tether's keepalive and dead-peer detection; null leaves the connection as plain PB (no liveness).</summary>
    public PbLivenessOptions? Liveness { get; init; }

    /// <summary>
    /// Maps an object jelly does not know to one the broker does (an <see cref="IPbCallable"/>, an
    /// <see cref="IPbCacheable"/>, a <see cref="PbRemoteReference"/>, a replica); how Tether's object model rides on
    /// this connection. Null or an unchanged object: the value cannot be sent.
    /// </summary>
    internal Func<object, object?>? MapOutbound { get; init; }

    /// <summary>How long the dialect and version exchange may take.</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(30);
}
