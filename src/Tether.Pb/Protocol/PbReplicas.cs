namespace Tether.Pb.Protocol;

/// <summary>
/// The receiver's side: replicas of the peer's cacheables, with the number of tokens received for each
/// (each owes the owner one <c>decache</c>).
/// </summary>
internal sealed class PbReplicas
{
    private readonly Lock _gate = new();
    private readonly Dictionary<long, Entry> _byId = [];
    private readonly Dictionary<object, long> _idByReplica = new(ReferenceEqualityComparer.Instance);

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _byId.Count;
            }
        }
    }

    /// <summary>Records a new replica under <paramref name="id"/> with one token.</summary>
    /// <exception cref="Jelly.JellyException">The id is already in use.</exception>
    public void Add(long id, object replica)
    {
        lock (_gate)
        {
            if (!_byId.TryAdd(id, new Entry(replica) { Tokens = 1 }))
            {
                throw new Jelly.JellyException($"the peer sent a new replica under cache id {id}, which is in use");
            }

            _idByReplica[replica] = id;
        }
    }

    /// <summary>Adds a token for the existing replica <paramref name="id"/> and returns it, or null.</summary>
    public object? AddToken(long id)
    {
        lock (_gate)
        {
            if (!_byId.TryGetValue(id, out var entry))
            {
                return null;
            }

            entry.Tokens++;
            return entry.Replica;
        }
    }

    /// <summary>The id of <paramref name="replica"/>, or null when it is not a replica held here.</summary>
    public long? IdOf(object replica)
    {
        lock (_gate)
        {
            return _idByReplica.TryGetValue(replica, out var id) ? id : null;
        }
    }

    /// <summary>The replica with <paramref name="id"/>, or null.</summary>
    public object? Find(long id)
    {
        lock (_gate)
        {
            return _byId.GetValueOrDefault(id)?.Replica;
        }
    }

    /// <summary>Drops every token held for <paramref name="replica"/>; returns its id and how many decaches are owed.</summary>
    public (long Id, long Tokens) ReleaseTokens(object replica)
    {
        lock (_gate)
        {
            if (!_idByReplica.TryGetValue(replica, out var id))
            {
                return (0, 0);
            }

            var entry = _byId[id];
            var tokens = entry.Tokens;
            entry.Tokens = 0;
            return (id, tokens);
        }
    }

    /// <summary>Forgets replica <paramref name="id"/> (the owner sent uncache); false when unknown.</summary>
    public bool Remove(long id)
    {
        lock (_gate)
        {
            if (!_byId.Remove(id, out var entry))
            {
                return false;
            }

            _idByReplica.Remove(entry.Replica);
            return true;
        }
    }

    private sealed class Entry(object replica)
    {
        public object Replica { get; } = replica;

        public long Tokens { get; set; }
    }
}
