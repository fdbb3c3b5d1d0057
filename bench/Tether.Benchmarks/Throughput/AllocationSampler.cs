using System.Collections.Concurrent;
using System.Diagnostics.Tracing;

namespace Tether.Benchmarks.Throughput;

/// <summary>
/// Listens to the runtime's GC AllocationTick events (one sample about every 100 KB allocated, naming the type of the
/// object that crossed the threshold) and adds the sampled amounts up by type: where the steady state allocates.
/// </summary>
internal sealed class AllocationSampler : EventListener
{
    private const string RuntimeSource = "Microsoft-Windows-DotNETRuntime";
    private const EventKeywords GcKeyword = (EventKeywords)0x1;

    // Field initializers run before the base constructor, which may already deliver events.
    private readonly ConcurrentDictionary<string, long> _bytesByType = new(StringComparer.Ordinal);

    /// <summary>The types that allocated most, with their sampled bytes, largest first.</summary>
    public IReadOnlyList<KeyValuePair<string, long>> Top(int count) =>
        [.. _bytesByType.OrderByDescending(p => p.Value).Take(count)];

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == RuntimeSource)
        {
            EnableEvents(eventSource, EventLevel.Verbose, GcKeyword);
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        if (eventData.EventName?.StartsWith("GCAllocationTick", StringComparison.Ordinal) != true || eventData.PayloadNames is null)
        {
            return;
        }

        var type = eventData.PayloadNames.IndexOf("TypeName");
        var amount = eventData.PayloadNames.IndexOf("AllocationAmount64");
        if (type >= 0 && amount >= 0 && eventData.Payload![type] is string name)
        {
            _bytesByType.AddOrUpdate(name, (long)(ulong)eventData.Payload[amount]!, (_, sum) => sum + (long)(ulong)eventData.Payload[amount]!);
        }
    }
}
