using System.Buffers;

namespace Tether.Internal;

/// <summary>
/// An <see cref="IBufferWriter{T}"/> over one array rented from <see cref="TetherMemoryPool.Arrays"/>, grown by
/// doubling. Messages are serialized here and sent from here, then the array goes back to the pool. A writer taken
/// with <see cref="Rent"/> goes back to its free list too, so steady-state messages allocate no writer.
/// </summary>
internal sealed class PooledBufferWriter : IBufferWriter<byte>, IDisposable
{
    private const int DefaultCapacity = 256;

    private FreeList<PooledBufferWriter>? _home;
    private byte[] _buffer;
    private int _written;

    public PooledBufferWriter(int initialCapacity = DefaultCapacity)
    {
        _buffer = TetherMemoryPool.Arrays.Rent(initialCapacity);
    }

    /// <summary>The bytes written so far.</summary>
    public ReadOnlyMemory<byte> WrittenMemory => _buffer.AsMemory(0, _written);

    /// <summary>
    /// An empty writer from <paramref name="home"/> (or a new one); disposing it returns its array to the pool and
    /// the writer to <paramref name="home"/>. Dispose it exactly once: a second dispose could reach the next user.
    /// </summary>
    public static PooledBufferWriter Rent(FreeList<PooledBufferWriter> home)
    {
        if (home.TryTake() is not { } writer)
        {
            return new PooledBufferWriter { _home = home };
        }

        writer._buffer = TetherMemoryPool.Arrays.Rent(DefaultCapacity);
        writer._written = 0;
        return writer;
    }

    public void Advance(int count) => _written += count;

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Reserve(sizeHint);
        return _buffer.AsMemory(_written);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Reserve(sizeHint);
        return _buffer.AsSpan(_written);
    }

    public void Dispose()
    {
        var buffer = _buffer;
        _buffer = [];
        if (buffer.Length > 0)
        {
            TetherMemoryPool.Arrays.Return(buffer);
            _home?.Return(this);
        }
    }

    private void Reserve(int sizeHint)
    {
        var needed = _written + Math.Max(sizeHint, 1);
        if (needed <= _buffer.Length)
        {
            return;
        }

        var larger = TetherMemoryPool.Arrays.Rent(Math.Max(needed, _buffer.Length * 2));
        _buffer.AsSpan(0, _written).CopyTo(larger);
        TetherMemoryPool.Arrays.Return(_buffer);
        _buffer = larger;
    }
}
