using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace Tether.Internal;

/// <summary>
/// Room for a few object references in the frame that declares it (a heap array past the inline capacity): the
/// arguments of a call on their way to the method, a copyable's member values on their way to its constructor. Only
/// for values that reflection copies out before the frame returns; whatever keeps them longer copies them first.
/// </summary>
internal struct ObjectSlots
{
    private const int InlineCapacity = 8;

    private Inline _inline;
    private object?[]? _heap;
    private int _count;

    /// <summary>The slots <see cref="Allocate"/> made room for.</summary>
    [UnscopedRef]
    public Span<object?> Values => _heap is { } heap ? heap : ((Span<object?>)_inline)[.._count];

    /// <summary>Makes room for <paramref name="count"/> values (on the heap past the inline capacity), all null.</summary>
    [UnscopedRef]
    public Span<object?> Allocate(int count)
    {
        _count = count;
        _heap = count > InlineCapacity ? new object?[count] : null;
        return Values;
    }

    [InlineArray(InlineCapacity)]
    private struct Inline
    {
        private object? _first;
    }
}
