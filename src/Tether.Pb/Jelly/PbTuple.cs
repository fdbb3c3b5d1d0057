using System.Collections;
using System.Runtime.CompilerServices;

namespace Tether.Pb.Jelly;

/// <summary>
/// A Python tuple: an immutable sequence that compares and hashes by content, so it works as a
/// dictionary key or set element as it does in Python. A C# value tuple sent through jelly also
/// becomes a Python tuple; what comes back is a <see cref="PbTuple"/>.
/// </summary>
public sealed class PbTuple : IReadOnlyList<object?>, ITuple, IEquatable<PbTuple>
{
    private readonly object?[] _items;

    /// <summary>Creates a tuple holding <paramref name="items"/> (copied).</summary>
    public PbTuple(params object?[] items)
    {
        ArgumentNullException.ThrowIfNull(items);
        _items = (object?[])items.Clone();
    }

    /// <summary>Creates a tuple holding <paramref name="items"/> (copied).</summary>
    public PbTuple(IEnumerable<object?> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        _items = [.. items];
    }

    private PbTuple(int count) => _items = new object?[count];

    /// <inheritdoc />
    public int Count => _items.Length;

    /// <inheritdoc />
    public object? this[int index] => _items[index];

    int ITuple.Length => _items.Length;

    /// <inheritdoc />
    public IEnumerator<object?> GetEnumerator() => ((IEnumerable<object?>)_items).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <inheritdoc />
    public bool Equals(PbTuple? other) =>
        other is not null && (ReferenceEquals(this, other) || _items.SequenceEqual(other._items, PbValueComparer.Instance));

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as PbTuple);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var item in _items)
        {
            hash.Add(item, PbValueComparer.Instance);
        }

        return hash.ToHashCode();
    }

    /// <inheritdoc />
    public override string ToString() => PbRepr.Format(this);

    /// <summary>
    /// A tuple whose slots the unjellier fills after registering it, so an element can refer back to
    /// the tuple (a cycle through a list inside it); it is never visible before it is full.
    /// </summary>
    internal static PbTuple CreateForFilling(int count, out object?[] slots)
    {
        var tuple = new PbTuple(count);
        slots = tuple._items;
        return tuple;
    }
}
