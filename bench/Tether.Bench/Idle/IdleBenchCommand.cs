using System.Text.Json.Serialization;
using Tether.Bench.Cli;
using Tether.Bench.Reporting;

namespace Tether.Bench.Idle;

/// <summary>
/// <c>tether bench idle</c>: N idle Tether connections between connector and listener processes, held through several
/// keepalive intervals; reports the listeners' heap and working set per connection, the CPU their liveness costs, the
/// PINGs they sent and any disconnect (there must be none). A process may hold only
/// <see cref="ConnectionsPerProcess"/> connections here (RLIMIT_NOFILE's hard limit is 20,000 and cannot be raised
/// without CAP_SYS_RESOURCE), so N is split into shards of one listener child and one connector child each.
/// </summary>
internal static class IdleBenchCommand
{
    public const string Usage =
        "idle --connections N [--keepalive DUR (30s)] [--dead DUR (3 x keepalive)] [--observe DUR (3 x keepalive + 1s)] [--parallelism N (128)] [--json FILE]";

    /// <summary>Connections per listener child and per connector child.</summary>
    public const int ConnectionsPerProcess = 17_000;

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
        var shards = Shards(settings.Connections).Select(n => settings with { Connections = n }).ToList();
        Console.WriteLine($"# Idle connections: {settings.Connections:N0}, keepalive {keepalive.TotalSeconds:0.#} s, dead timeout {settings.DeadTimeout.TotalSeconds:0.#} s, observed {observe.TotalSeconds:0.#} s");
        Console.WriteLine($"Machine: {MachineInfo.Current}; {shards.Count} listener process(es) and {shards.Count} connector process(es), up to {ConnectionsPerProcess:N0} connections each");

        var listeners = new List<ListenerChildProcess>();
        var connectors = new List<ConnectorChildProcess>();
        try
        {
            var results = new List<IdleResult>();
            foreach (var shard in shards)
            {
                results.Add(await OpenShardAsync(shard, listeners, connectors));
                Console.WriteLine($"  shard {results.Count}: {shard.Connections:N0} open, listener heap {Units.Bytes(results[^1].HeapPerConnectionEnd)} per connection");
            }

            Console.WriteLine($"all open; observing the listeners for {observe.TotalSeconds:0.#} s ...");
            var liveness = await Task.WhenAll(listeners.Select(l => l.ObserveAsync(observe)));
            var stillOpen = (await Task.WhenAll(connectors.Select(c => c.CountOpenAsync()))).Sum();
            var summary = Summarize(settings.Connections, results, liveness, stillOpen);

            Console.WriteLine();
            Console.WriteLine(IdleCommand.Format(results));
            Console.WriteLine($"listeners' liveness over {liveness[0].Window.TotalSeconds:0.0} s: CPU {Units.Fixed(summary.LivenessCpuPercent, 3)} % of one core " +
                $"({Units.Fixed(liveness.Sum(l => l.Cpu.TotalMilliseconds), 0)} ms in {listeners.Count} process(es)), {Units.Count(summary.PingsSent)} PINGs sent, " +
                $"{Units.Count(summary.Disconnects)} disconnects; connector side: {Units.Count(stillOpen)} of {Units.Count(settings.Connections)} still open");
            await JsonReport.WriteRawAsync(parsed.GetString("--json"), summary);
            return summary.Disconnects == 0 ? 0 : 1;
        }
        finally
        {
            foreach (var child in connectors)
            {
                await child.DisposeAsync();
            }

            foreach (var child in listeners)
            {
                await child.DisposeAsync();
            }
        }
    }

    /// <summary>Starts a listener child, samples its baseline after a warm-up, opens the shard's connections from a
    /// connector child and samples the listener again.</summary>
    private static async Task<IdleResult> OpenShardAsync(IdleSettings shard, List<ListenerChildProcess> listeners, List<ConnectorChildProcess> connectors)
    {
        var listener = await ListenerChildProcess.StartAsync(shard);
        listeners.Add(listener);
        var baseline = default(MemorySample);
        await IdleCommand.WarmUpAsync(listener.Endpoints, shard, async () => (_, baseline) = await listener.ResetAsync(IdleSettings.WarmupConnections));
        connectors.Add(await ConnectorChildProcess.StartAsync(listener.Endpoints, shard));
        var (open, loaded) = await listener.MeasureAsync(shard.Connections);
        return new IdleResult($"listener child {listeners.Count}", shard.Connections, shard.Connections, open, baseline, loaded);
    }

    /// <summary>Splits <paramref name="connections"/> into shards of at most <see cref="ConnectionsPerProcess"/>, as evenly as possible.</summary>
    public static IEnumerable<int> Shards(int connections)
    {
        var count = (connections + ConnectionsPerProcess - 1) / ConnectionsPerProcess;
        return Enumerable.Range(0, count).Select(i => (connections / count) + (i < connections % count ? 1 : 0));
    }

    private static IdleSummary Summarize(int connections, List<IdleResult> results, LivenessObservation[] liveness, int connectorsOpen) => new(
        connections,
        (double)results.Sum(r => r.HeapDelta) / connections,
        (double)results.Sum(r => r.WorkingSetDelta) / connections,
        liveness.Sum(l => l.CpuPercentOfOneCore),
        liveness.Sum(l => l.PingsSent),
        liveness.Sum(l => l.Disconnects) + (connections - connectorsOpen));

    /// <summary>The JSON object of the issue (keys exactly as named there).</summary>
    private sealed record IdleSummary(
        [property: JsonPropertyName("connections")] int Connections,
        [property: JsonPropertyName("heap_bytes_per_connection")] double HeapBytesPerConnection,
        [property: JsonPropertyName("working_set_bytes_per_connection")] double WorkingSetBytesPerConnection,
        [property: JsonPropertyName("liveness_cpu_percent")] double LivenessCpuPercent,
        [property: JsonPropertyName("pings_sent")] long PingsSent,
        [property: JsonPropertyName("disconnects")] long Disconnects);
}
