using System.Text.Json.Serialization;
using Tether.Bench.Cli;
using Tether.Bench.Reporting;

namespace Tether.Bench.Idle;

/// <summary>
/// <c>tether bench idle</c>: N idle Tether connections from this process to a listener child, held through several
/// keepalive intervals; reports the listener's heap and working set per connection, the CPU its liveness costs, the
/// PINGs it sent and any disconnect (there must be none).
/// </summary>
internal static class IdleBenchCommand
{
    public const string Usage =
        "idle --connections N [--keepalive DUR (30s)] [--dead DUR (3 x keepalive)] [--observe DUR (3 x keepalive + 1s)] [--parallelism N (128)] [--json FILE]";

    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        var parsed = BenchArguments.Parse(args, "--connections", "--keepalive", "--dead", "--observe", "--parallelism", "--json");
        var keepalive = parsed.GetDuration("--keepalive", TimeSpan.FromSeconds(30));
        var settings = new IdleSettings(
            parsed.GetInt("--connections", 10_000),
            keepalive,
            parsed.GetDuration("--dead", 3 * keepalive),
            TimeSpan.FromSeconds(2),
            parsed.GetInt("--parallelism", 128));
        var observe = parsed.GetDuration("--observe", (3 * keepalive) + TimeSpan.FromSeconds(1));

        var limit = FileDescriptorLimit.EnsureAtLeast(IdleCommand.FileDescriptorsNeeded(settings.Connections));
        Console.WriteLine($"# Idle connections: {settings.Connections:N0}, keepalive {keepalive.TotalSeconds:0.#} s, dead timeout {settings.DeadTimeout.TotalSeconds:0.#} s, observed {observe.TotalSeconds:0.#} s");
        Console.WriteLine($"Machine: {MachineInfo.Current}; open-file limit {limit}; listeners on {settings.ListenerCount} loopback address(es)");

        LivenessObservation? liveness = null;
        var results = await IdleCommand.RunSplitAsync(settings, TimeSpan.Zero, async child =>
        {
            Console.WriteLine($"all open; observing the listener for {observe.TotalSeconds:0.#} s ...");
            liveness = await child.ObserveAsync(observe);
        });
        var listener = results.Single(r => r.Variant.Contains("listener", StringComparison.Ordinal));
        var summary = new IdleSummary(
            settings.Connections,
            listener.HeapPerConnectionEnd,
            listener.WorkingSetPerConnectionEnd,
            liveness!.CpuPercentOfOneCore,
            liveness.PingsSent,
            liveness.Disconnects + results.Sum(r => r.ConnectionEnds - r.StillOpen));

        Console.WriteLine();
        Console.WriteLine(IdleCommand.Format(results));
        Console.WriteLine($"listener liveness over {liveness.Window.TotalSeconds:0.0} s: CPU {Units.Fixed(liveness.CpuPercentOfOneCore, 3)} % of one core " +
            $"({Units.Fixed(liveness.Cpu.TotalMilliseconds, 0)} ms), {Units.Count(liveness.PingsSent)} PINGs sent, {Units.Count(summary.Disconnects)} disconnects");
        await JsonReport.WriteRawAsync(parsed.GetString("--json"), summary);

        return summary.Disconnects == 0 ? 0 : 1;
    }

    /// <summary>The JSON object of the issue (keys exactly as named there).</summary>
    private sealed record IdleSummary(
        [property: JsonPropertyName("connections")] int Connections,
        [property: JsonPropertyName("heap_bytes_per_connection")] double HeapBytesPerConnection,
        [property: JsonPropertyName("working_set_bytes_per_connection")] double WorkingSetBytesPerConnection,
        [property: JsonPropertyName("liveness_cpu_percent")] double LivenessCpuPercent,
        [property: JsonPropertyName("pings_sent")] long PingsSent,
        [property: JsonPropertyName("disconnects")] long Disconnects);
}
