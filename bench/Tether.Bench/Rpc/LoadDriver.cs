using System.Diagnostics;

namespace Tether.Bench.Rpc;

/// <summary>Runs an operation from N concurrent loops for a while and counts completions and their latency.</summary>
internal static class LoadDriver
{
    /// <summary>
    /// Starts <paramref name="outstanding"/> loops, each calling <paramref name="operation"/> and waiting for it before the
    /// next, until <paramref name="duration"/> has passed; calls already started finish and are counted.
    /// </summary>
    /// <returns>Completed operations, the time from start until the last loop ended, and the latency histogram.</returns>
    public static async Task<(long Completed, TimeSpan Elapsed, LatencyHistogram Latency)> RunAsync(
        Func<int, Task> operation, int outstanding, TimeSpan duration)
    {
        var latency = new LatencyHistogram();
        var stop = 0;
        var counts = new long[outstanding];
        var started = Stopwatch.GetTimestamp();
        var loops = Enumerable.Range(0, outstanding).Select(loop => Task.Run(async () =>
        {
            var id = loop;
            while (Volatile.Read(ref stop) == 0)
            {
                var before = Stopwatch.GetTimestamp();
                await operation(id);
                latency.Record(Stopwatch.GetTimestamp() - before);
                counts[loop]++;
                id += outstanding;
            }
        })).ToArray();

        await Task.Delay(duration);
        Volatile.Write(ref stop, 1);
        await Task.WhenAll(loops);
        return (counts.Sum(), Stopwatch.GetElapsedTime(started), latency);
    }
}
