using System.Globalization;

namespace Tether.Benchmarks.Throughput;

/// <summary>
/// CPU time the whole machine spent busy (Linux /proc/stat, all cores): subtracting this process's own CPU time shows
/// whether other processes competed for the cores during a measurement.
/// </summary>
internal static class SystemCpu
{
    // /proc/stat counts in USER_HZ, which is 100 on every Linux configuration .NET runs on.
    private const double TicksPerSecond = 100;

    /// <summary>Busy time of all cores since boot (user, nice, system, irq, softirq, steal); null off Linux.</summary>
    public static TimeSpan? ReadBusy()
    {
        const string path = "/proc/stat";
        if (!File.Exists(path))
        {
            return null;
        }

        var fields = File.ReadLines(path).First().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        int[] busy = [1, 2, 3, 6, 7, 8];
        var ticks = busy.Where(i => i < fields.Length).Sum(i => long.Parse(fields[i], CultureInfo.InvariantCulture));
        return TimeSpan.FromSeconds(ticks / TicksPerSecond);
    }
}
