namespace Tether.Benchmarks.Micro;

/// <summary>How many bytes one operation of the benchmark processes; <see cref="ProcessedBytesColumn"/> turns it into GB/s.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class ProcessedBytesAttribute(long bytes) : Attribute
{
    public long Bytes { get; } = bytes;
}
