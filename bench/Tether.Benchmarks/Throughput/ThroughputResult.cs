using System.Diagnostics;

namespace Tether.Benchmarks.Throughput;

/// <summary>
/// What one scenario achieved in its measured window. CPU and GC figures cover the whole process (both ends);
/// <see cref="OtherProcessesCores"/> is the CPU other processes used meanwhile (a run with much of it is not clean).
/// <see cref="ThreadPoolItemsPerMessage"/> counts hand-offs between threads (socket completions, continuations queued
/// to the pool), which cost more than the work they carry when a transfer keeps both cores busy.
/// </summary>
internal sealed record ThroughputResult(
    string Scenario,
    string Description,
    double Seconds,
    long Bytes,
    double GigabytesPerSecond,
    double GibibytesPerSecond,
    double MessagesPerSecond,
    double UserCpuSeconds,
    double KernelCpuSeconds,
    double CoresBusy,
    double? OtherProcessesCores,
    double CpuSecondsPerGigabyte,
    int Gen0Collections,
    int Gen1Collections,
    int Gen2Collections,
    double AllocatedBytesPerMessage,
    double ThreadPoolItemsPerMessage)
{
    public static ThroughputResult From(IThroughputScenario scenario, ThroughputSettings settings, ResourceSnapshot start, ResourceSnapshot end)
    {
        var seconds = Stopwatch.GetElapsedTime(start.Timestamp, end.Timestamp).TotalSeconds;
        var bytes = end.DeliveredBytes - start.DeliveredBytes;
        var messages = (double)bytes / settings.MessageSize;
        var user = (end.UserCpu - start.UserCpu).TotalSeconds;
        var kernel = (end.KernelCpu - start.KernelCpu).TotalSeconds;
        return new ThroughputResult(
            scenario.Key,
            scenario.Description,
            seconds,
            bytes,
            bytes / seconds / 1e9,
            bytes / seconds / (1024.0 * 1024 * 1024),
            messages / seconds,
            user,
            kernel,
            (user + kernel) / seconds,
            end.MachineBusy - start.MachineBusy is { } machine ? Math.Max(0, machine.TotalSeconds - user - kernel) / seconds : null,
            bytes == 0 ? double.NaN : (user + kernel) / (bytes / 1e9),
            end.Gen0 - start.Gen0,
            end.Gen1 - start.Gen1,
            end.Gen2 - start.Gen2,
            messages == 0 ? double.NaN : (end.AllocatedBytes - start.AllocatedBytes) / messages,
            messages == 0 ? double.NaN : (end.ThreadPoolItems - start.ThreadPoolItems) / messages);
    }
}
