namespace Tether.Pb.Protocol;

/// <summary>
/// The objects one connection exports, with PB's reference counting: every <c>remote</c> token sent adds one
/// reference and every <c>decref</c> received removes one; at zero the export is forgotten. Named exports (the
/// root) are not counted, as in Twisted.
/// </summary>
internal sealed class PbExportTable(int limit)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<PbObjectId, Entry> _byId = [];
    private readonly Dictionary<object, PbObjectId> _byObject = new(ReferenceEqualityComparer.Instance);
    private long _lastNumber;

    /// <summary>Numbered exports currently held (named ones excluded).</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _byObject.Count;
            }
        }
    }

    /// <summary>Exports <paramref name="value"/> under <paramref name="name"/> for the connection's lifetime.</summary>
    public void SetNamed(string name, object value)
    {
        lock (_gate)
        {
            _byId[PbObjectId.FromName(name)] = new Entry(value) { References = 1 };
        }
    }

    /// <summary>Adds one reference to <paramref name="value"/>'s export, creating it if needed.</summary>
    /// <exception cref="ArgumentException">The connection already exports <c>limit</c> objects.</exception>
    public PbObjectId AddReference(object value)
    {
        lock (_gate)
        {
            if (_byObject.TryGetValue(value, out var id))
            {
                _byId[id].References++;
                return id;
            }

            if (_byObject.Count >= limit)
            {
                throw new ArgumentException($"this connection already exports {limit} objects (PbConnectionOptions.MaxExports)", nameof(value));
            }

            id = PbObjectId.FromNumber(++_lastNumber);
            _byId[id] = new Entry(value) { References = 1 };
            _byObject[value] = id;
            return id;
        }
    }

    /// <summary>The exported object with <paramref name="id"/>, or null.</summary>
    public object? Find(PbObjectId id)
    {
        lock (_gate)
        {
            return _byId.GetValueOrDefault(id)?.Value;
        }
    }

    /// <summary>
    /// Removes one reference; false when <paramref name="id"/> is not a numbered export. <paramref name="released"/>
    /// is the object whose last reference this was, or null.
    /// </summary>
    public bool RemoveReference(PbObjectId id, out object? released)
    {
        lock (_gate)
        {
            released = null;
            if (id.Name is not null || !_byId.TryGetValue(id, out var entry))
            {
                return false;
            }

            if (--entry.References == 0)
            {
                _byId.Remove(id);
                _byObject.Remove(entry.Value);
                released = entry.Value;
            }

            return true;
        }
    }

    /// <summary>Empties the table (the connection ended) and returns the numbered exports it held.</summary>
    public List<object> Clear()
    {
        lock (_gate)
        {
            var exported = _byObject.Keys.ToList();
            _byId.Clear();
            _byObject.Clear();
            return exported;
        }
    }

    private sealed class Entry(object value)
    {
        public object Value { get; } = value;

        public long References { get; set; }
    }
}
