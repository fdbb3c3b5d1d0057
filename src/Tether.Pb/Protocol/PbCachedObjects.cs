namespace Tether.Pb.Protocol;

/// <summary>
/// The owner's side of PB caching on one connection: which cacheables the peer holds replicas of, counted
/// per token sent (a new replica or a <c>cached</c> reference), and released by <c>decache</c>.
/// </summary>
internal sealed class PbCachedObjects(int limit)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<IPbCacheable, Entry> _byCacheable = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<long, Entry> _byId = [];
    private long _lastId;

    /// <summary>
    /// Adds one token for <paramref name="cacheable"/>: an existing replica's id, or a new observer when the
    /// peer has none (the caller then sends the state).
    /// </summary>
    /// <exception cref="ArgumentException">The connection already replicates <c>limit</c> cacheables.</exception>
    public (long Id, PbCacheObserver? NewObserver) AddToken(IPbCacheable cacheable, PbConnection connection)
    {
        lock (_gate)
        {
            if (_byCacheable.TryGetValue(cacheable, out var existing))
            {
                existing.Tokens++;
                return (existing.Observer.CacheId, null);
            }

            if (_byCacheable.Count >= limit)
            {
                throw new ArgumentException($"this connection already replicates {limit} cacheables (PbConnectionOptions.MaxExports)", nameof(cacheable));
            }

            var entry = new Entry(cacheable, new PbCacheObserver(connection, ++_lastId)) { Tokens = 1 };
            _byCacheable.Add(cacheable, entry);
            _byId.Add(entry.Observer.CacheId, entry);
            return (entry.Observer.CacheId, entry.Observer);
        }
    }

    /// <summary>The cacheable with <paramref name="id"/>, or null.</summary>
    public IPbCacheable? Find(long id)
    {
        lock (_gate)
        {
            return _byId.GetValueOrDefault(id)?.Cacheable;
        }
    }

    /// <summary>
    /// Removes one token. Returns false for an unknown id; <paramref name="released"/> is the entry whose last
    /// token this was (its observer must be stopped and the peer told with <c>uncache</c>).
    /// </summary>
    public bool RemoveToken(long id, out (IPbCacheable Cacheable, PbCacheObserver Observer)? released)
    {
        lock (_gate)
        {
            released = null;
            if (!_byId.TryGetValue(id, out var entry))
            {
                return false;
            }

            if (--entry.Tokens == 0)
            {
                _byId.Remove(id);
                _byCacheable.Remove(entry.Cacheable);
                released = (entry.Cacheable, entry.Observer);
            }

            return true;
        }
    }

    /// <summary>Empties the table (the connection ended) and returns what was in it.</summary>
    public List<(IPbCacheable Cacheable, PbCacheObserver Observer)> Clear()
    {
        lock (_gate)
        {
            var all = _byId.Values.Select(entry => (entry.Cacheable, entry.Observer)).ToList();
            _byId.Clear();
            _byCacheable.Clear();
            return all;
        }
    }

    private sealed class Entry(IPbCacheable cacheable, PbCacheObserver observer)
    {
        public IPbCacheable Cacheable { get; } = cacheable;

        public PbCacheObserver Observer { get; } = observer;

        public long Tokens { get; set; }
    }
}
