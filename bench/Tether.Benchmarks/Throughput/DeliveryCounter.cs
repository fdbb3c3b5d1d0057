namespace Tether.Benchmarks.Throughput;

/// <summary>Payload bytes the receiving application has taken delivery of; read at the edges of the measured window.</summary>
internal sealed class DeliveryCounter
{
    private long _bytes;

    public long Bytes => Interlocked.Read(ref _bytes);

    public void Add(long bytes) => Interlocked.Add(ref _bytes, bytes);
}
