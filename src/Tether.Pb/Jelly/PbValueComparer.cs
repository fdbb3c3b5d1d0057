namespace Tether.Pb.Jelly;

/// <summary>
/// Equality for PB values used as dictionary keys and set elements, following Python's hashable
/// types: byte strings compare by content, tuples and frozen sets by their elements, everything else
/// by its own <see cref="object.Equals(object)"/>. Mutable containers (lists, dicts, sets) are not
/// hashable in Python and never reach here from the wire.
/// </summary>
public sealed class PbValueComparer : IEqualityComparer<object?>
{
    /// <summary>The single instance.</summary>
    public static PbValueComparer Instance { get; } = new();

    private PbValueComparer()
    {
    }

    /// <inheritdoc />
    public new bool Equals(object? x, object? y) => (x, y) switch
    {
        (byte[] a, byte[] b) => a.AsSpan().SequenceEqual(b),
        (IReadOnlySet<object> a, IReadOnlySet<object> b) when IsFrozen(a) && IsFrozen(b) => a.SetEquals(b),
        _ => object.Equals(x, y),
    };

    /// <inheritdoc />
    public int GetHashCode(object? obj)
    {
        switch (obj)
        {
            case null:
                return 0;
            case byte[] bytes:
                var hash = new HashCode();
                hash.AddBytes(bytes);
                return hash.ToHashCode();
            case IReadOnlySet<object> set when IsFrozen(set):
                // Order-independent, like Python's frozenset hash.
                var combined = set.Count;
                foreach (var item in set)
                {
                    combined ^= GetHashCode(item);
                }

                return combined;
            default:
                return obj.GetHashCode();
        }
    }

    /// <summary>True for a set that cannot change, which is what Python calls a frozenset.</summary>
    internal static bool IsFrozen(IReadOnlySet<object> set) => set is not ICollection<object> { IsReadOnly: false };
}
