namespace Tether.Remoting;

/// <summary>
/// An object replicated to the peers it is sent to: each receiving connection gets a read-only replica (a
/// <see cref="RemoteCache{TState}"/>) built from <see cref="GetStateToCacheAndObserve"/>, which the owner keeps up to
/// date through the <see cref="CacheObserver"/> it is handed. Sent twice over one connection, it is still one replica.
/// </summary>
public abstract class Cacheable
{
    /// <summary>The name the peer's registry maps to its replica class (<c>TypeRegistry.AddRemoteCache</c>). Defaults to the full type name.</summary>
    public virtual string CacheName => GetType().FullName ?? GetType().Name;

    /// <summary>
    /// Called the first time this object is sent over <paramref name="session"/>: returns the replica's initial state
    /// (any value that can be sent) and keeps <paramref name="observer"/> to push later changes.
    /// </summary>
    /// <param name="session">The connection (its <see cref="TetherSession.Avatar"/> is the perspective of a logged-in peer).</param>
    /// <param name="observer">Pushes changes to this connection's replica.</param>
    /// <returns>The state.</returns>
    protected internal abstract object? GetStateToCacheAndObserve(TetherSession session, CacheObserver observer);

    /// <summary>
    /// Called exactly once per observer when the replica is released or the connection is lost, for whatever reason.
    /// Stop pushing to <paramref name="observer"/> here (pushes after this fail).
    /// </summary>
    /// <param name="session">The connection.</param>
    /// <param name="observer">The observer handed out by <see cref="GetStateToCacheAndObserve"/>.</param>
    protected internal virtual void StoppedObserving(TetherSession session, CacheObserver observer)
    {
    }
}
