namespace Tether.Remoting;

/// <summary>
/// The owner's handle on one replica of a <see cref="Cacheable"/>: <see cref="CallRemoteAsync"/> runs the replica's
/// <c>Observe</c> method of that name. Updates arrive in the order they were pushed.
/// </summary>
public sealed class CacheObserver
{
    private int _stopped;

    internal CacheObserver(TetherSession session, uint cacheId, Cacheable cacheable)
    {
        Session = session;
        CacheId = cacheId;
        Cacheable = cacheable;
    }

    /// <summary>The connection the replica lives across.</summary>
    public TetherSession Session { get; }

    /// <summary>True until the replica is released or the connection lost.</summary>
    public bool IsObserving => Volatile.Read(ref _stopped) == 0;

    internal uint CacheId { get; }

    internal Cacheable Cacheable { get; }

    /// <summary>Pushes an update: the replica's <c>Observe{method}</c> runs with <paramref name="arguments"/>.</summary>
    /// <param name="method">The update's name.</param>
    /// <param name="arguments">Its arguments.</param>
    /// <returns>A task that completes when the update is sent; faults if the observer stopped or the connection is lost.</returns>
    public Task CallRemoteAsync(string method, params object?[] arguments)
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(arguments);
        return IsObserving
            ? Session.SendCacheUpdateAsync(this, method, arguments)
            : Task.FromException(new InvalidOperationException("The observer was stopped: its replica was released or the connection lost."));
    }

    /// <summary>Marks the observer stopped; true only for the first caller, who then runs StoppedObserving.</summary>
    internal bool TryStop() => Interlocked.Exchange(ref _stopped, 1) == 0;
}
