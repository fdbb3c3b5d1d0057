using System.Buffers;

namespace Tether.Internal;

/// <summary>
/// The buffers Tether's connections use: receive and write batches and the channels' pipe segments. A bulk transfer
/// keeps a whole channel window of segments in flight, more than the shared array pool keeps per size and core, and
/// every miss there allocates and zeroes a fresh array (measured: about 20 KB of garbage per 64 KiB message, gen1
/// collections as often as gen0). A pool of our own with deeper buckets recycles them instead.
/// </summary>
internal sealed class TetherMemoryPool : MemoryPool<byte>
{
    /// <summary>Largest array kept; bigger requests (frames over 128 KiB) are allocated and left to the GC.</summary>
    public const int MaxPooledLength = 128 * 1024;

    // Leases are recycled too: a pipe rents one per segment, which is one per received message on a busy connection.
    private static readonly FreeList<Lease> Leases = new(capacity: 1024);

    private TetherMemoryPool()
    {
    }

    /// <summary>The process-wide pool.</summary>
    public static TetherMemoryPool Instance { get; } = new();

    /// <summary>Arrays: at most 64 per size, so what the pool retains stays around 16 MiB at worst.</summary>
    public static ArrayPool<byte> Arrays { get; } = ArrayPool<byte>.Create(MaxPooledLength, maxArraysPerBucket: 64);

    /// <inheritdoc />
    public override int MaxBufferSize => MaxPooledLength;

    /// <inheritdoc />
    public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
    {
        var lease = Leases.TryTake() ?? new Lease();
        lease.Hold(Arrays.Rent(minBufferSize < 0 ? 4096 : minBufferSize));
        return lease;
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
    }

    /// <summary>
    /// One rented array. Disposing it returns the array, then the lease itself for reuse: that is safe because its only
    /// holder, a pipe segment, drops the lease when it disposes it (a lease disposed twice could reach its next user).
    /// </summary>
    private sealed class Lease : IMemoryOwner<byte>
    {
        private byte[]? _array;

        public Memory<byte> Memory => _array ?? throw new ObjectDisposedException(nameof(Lease));

        public void Hold(byte[] array) => _array = array;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _array, null) is { } returned)
            {
                Arrays.Return(returned);
                Leases.Return(this);
            }
        }
    }
}
