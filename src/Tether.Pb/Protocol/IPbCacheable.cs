namespace Tether.Pb.Protocol;

/// <summary>
/// A local object replicated to the peer (Twisted's <c>pb.Cacheable</c>): the first time it is sent on a
/// connection the peer builds a replica from <see cref="GetStateToCacheAndObserve"/>, and the owner keeps
/// it current through the observer. Later sends refer to the same replica.
/// </summary>
public interface IPbCacheable
{
    /// <summary>The copy tag the peer registered its replica class under (<c>getTypeToCopyFor</c>).</summary>
    string TypeName { get; }

    /// <summary>
    /// The replica's initial state (normally a dictionary of attribute names to PB values). Called once per
    /// connection the object is first sent on; keep <paramref name="observer"/> to push changes.
    /// </summary>
    object? GetStateToCacheAndObserve(PbCacheObserver observer);

    /// <summary>
    /// The peer released its last replica, or the connection ended: <paramref name="observer"/> is dead.
    /// Called exactly once per observer.
    /// </summary>
    void StoppedObserving(PbCacheObserver observer);
}

/// <summary>
/// One peer's replica of an <see cref="IPbCacheable"/>, as its owner sees it (Twisted's
/// <c>RemoteCacheObserver</c>): calls go to the replica's <c>observe_</c> methods as PB
/// <c>cachemessage</c>s, in the order they are made.
/// </summary>
public sealed class PbCacheObserver
{
    private readonly PbConnection _connection;
    private int _stopped;

    internal PbCacheObserver(PbConnection connection, long cacheId)
    {
        _connection = connection;
        CacheId = cacheId;
    }

    /// <summary>The id the replica is known by on this connection.</summary>
    public long CacheId { get; }

    /// <summary>True once the replica is gone (released by the peer, or the connection ended).</summary>
    public bool IsStopped => Volatile.Read(ref _stopped) != 0;

    /// <summary>Calls <paramref name="method"/> on the replica with positional arguments.</summary>
    public Task<object?> CallRemoteAsync(string method, params object?[] arguments) =>
        CallRemoteAsync(method, arguments, keywordArguments: null, CancellationToken.None);

    /// <summary>Calls <paramref name="method"/> on the replica.</summary>
    /// <returns>The replica's answer; fails with <see cref="InvalidOperationException"/> once the observer has stopped.</returns>
    public Task<object?> CallRemoteAsync(
        string method,
        IReadOnlyList<object?> arguments,
        IReadOnlyDictionary<string, object?>? keywordArguments,
        CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(method);
        ArgumentNullException.ThrowIfNull(arguments);
        return IsStopped
            ? Task.FromException<object?>(new InvalidOperationException("the peer no longer holds this replica"))
            : _connection.CallAsync(PbObjectId.FromNumber(CacheId), method, arguments, keywordArguments, cancellationToken, toCache: true);
    }

    /// <summary>Marks the observer stopped; true only the first time.</summary>
    internal bool Stop() => Interlocked.Exchange(ref _stopped, 1) == 0;
}
