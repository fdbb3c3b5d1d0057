using System.Diagnostics;

namespace Tether.Benchmarks.Throughput;

/// <summary>Process-wide counters at one instant; two of them bound a measured window.</summary>
internal readonly record struct ResourceSnapshot(
    long Timestamp,
    long DeliveredBytes,
    TimeSpan UserCpu,
    TimeSpan KernelCpu,
    TimeSpan? MachineBusy,
    int Gen0,
    int Gen1,
    int Gen2,
    long AllocatedBytes,
    long ThreadPoolItems)
{
    public static ResourceSnapshot Take(DeliveryCounter delivered)
    {
        using var process = Process.GetCurrentProcess();
        return new ResourceSnapshot(
            Stopwatch.GetTimestamp(),
            delivered.Bytes,
            process.UserProcessorTime,
            process.PrivilegedProcessorTime,
            SystemCpu.ReadBusy(),
            GC.CollectionCount(0),
            GC.CollectionCount(1),
            GC.CollectionCount(2),
            GC.GetTotalAllocatedBytes(precise: false),
            ThreadPool.CompletedWorkItemCount);
    }
}
