using System.Diagnostics;
using System.Globalization;

namespace Tether.Bench.Idle;

/// <summary>
/// Memory in use after a full, compacting, finalizer-draining GC: the managed heap (GC.GetTotalMemory), the process
/// working set, and the kernel's TCP buffer memory (system-wide, from /proc/net/sockstat; null where unavailable).
/// </summary>
internal readonly record struct MemorySample(long ManagedHeapBytes, long WorkingSetBytes, long? KernelTcpBytes)
{
    public static MemorySample Take()
    {
        for (var i = 0; i < 3; i++)
        {
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
        }

        var heap = GC.GetTotalMemory(forceFullCollection: true);
        using var process = Process.GetCurrentProcess();
        return new MemorySample(heap, process.WorkingSet64, ReadKernelTcpBytes());
    }

    /// <summary>Parses the form <c>heap ws kernel</c> used between the idle benchmark and its child.</summary>
    public static MemorySample Parse(string text)
    {
        var parts = text.Split(' ');
        return new MemorySample(
            long.Parse(parts[0], CultureInfo.InvariantCulture),
            long.Parse(parts[1], CultureInfo.InvariantCulture),
            parts[2] == "-" ? null : long.Parse(parts[2], CultureInfo.InvariantCulture));
    }

    public string Format() => string.Create(CultureInfo.InvariantCulture, $"{ManagedHeapBytes} {WorkingSetBytes} {(KernelTcpBytes is { } k ? k : "-")}");

    private static long? ReadKernelTcpBytes()
    {
        // "TCP: inuse 9 orphan 0 tw 0 alloc 11 mem 2", mem in pages.
        const string path = "/proc/net/sockstat";
        if (!File.Exists(path))
        {
            return null;
        }

        var fields = File.ReadLines(path).FirstOrDefault(l => l.StartsWith("TCP:", StringComparison.Ordinal))?.Split(' ');
        var mem = fields is null ? -1 : Array.IndexOf(fields, "mem");
        return mem >= 0 && mem + 1 < fields!.Length && long.TryParse(fields[mem + 1], CultureInfo.InvariantCulture, out var pages)
            ? pages * Environment.SystemPageSize
            : null;
    }
}
