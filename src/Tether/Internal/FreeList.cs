namespace Tether.Internal;

/// <summary>
/// A small bounded free list of reusable objects (a connection's send pieces, a session's message buffers). The lock is
/// uncontended in practice: the senders of one connection and its writer. Beyond <c>capacity</c> returned objects
/// are left to the GC, so a burst does not pin its peak for the connection's life.
/// </summary>
internal sealed class FreeList<T>(int capacity)
    where T : class
{
    private readonly Stack<T> _free = new();

    /// <summary>A free object, or null when there is none (the caller makes one).</summary>
    public T? TryTake()
    {
        lock (_free)
        {
            return _free.TryPop(out var item) ? item : null;
        }
    }

    /// <summary>Gives back an object nobody refers to any more.</summary>
    public void Return(T item)
    {
        lock (_free)
        {
            if (_free.Count < capacity)
            {
                _free.Push(item);
            }
        }
    }
}
