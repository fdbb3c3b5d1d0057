using System.Text.Json.Serialization;
using Tether.Bench.Cli;
using Tether.Bench.Idle;
using Tether.Bench.Reporting;

namespace Tether.Bench.Floor;

/// <summary>
/// <c>tether bench floor</c>: what answering keepalives costs on this machine with nothing but the kernel in the way.
/// The same shape as <c>tether bench idle</c> (N connections from connector processes to listener processes over
/// loopback, each connection sending one <see cref="MessageSize"/>-byte message per keepalive interval, the size of a
/// Tether PING), but both sides are a bare epoll loop on one thread (<see cref="EchoReactor"/>,
/// <see cref="PingSchedule"/>). The listeners' CPU over the window is the floor any implementation of that exchange
/// pays here; <c>tether bench idle</c>'s liveness CPU is measured the same way.
/// </summary>
internal static class FloorBenchCommand
{
    public const string Usage =
        "floor --connections N [--keepalive DUR (30s)] [--answer true|false (true)] [--coalesce DUR (0)] [--observe DUR (60s)] [--json FILE]";

    /// <summary>Bytes per keepalive message: a Tether PING frame (8-byte header, 8-byte payload).</summary>
    public const int MessageSize = 16;

    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(5);

    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        var parsed = BenchArguments.Parse(args, "--connections", "--keepalive", "--answer", "--coalesce", "--observe", "--json");
        var connections = parsed.GetInt("--connections", 10_000);
        var keepalive = parsed.GetDuration("--keepalive", TimeSpan.FromSeconds(30));
        var answer = parsed.GetString("--answer") switch
        {
            null or "true" => true,
            "false" => false,
            var other => throw new UsageException($"--answer must be true or false, got '{other}'."),
        };
        var coalesce = parsed.GetDuration("--coalesce", TimeSpan.Zero);
        var observe = parsed.GetDuration("--observe", TimeSpan.FromSeconds(60));
        var shards = IdleBenchCommand.Shards(connections).ToList();
        Console.WriteLine($"# Keepalive floor: {connections:N0} connections, one {MessageSize}-byte message each per {keepalive.TotalSeconds:0.#} s, " +
            $"{(answer ? "answered" : "read, not answered")}, coalescing {coalesce.TotalMilliseconds:0} ms, observed {observe.TotalSeconds:0.#} s");
        Console.WriteLine($"Machine: {MachineInfo.Current}; {shards.Count} listener process(es) and {shards.Count} connector process(es), bare epoll loops");

        var opened = new List<FloorShard>();
        try
        {
            foreach (var size in shards)
            {
                opened.Add(await FloorShard.StartAsync(size, keepalive, answer, coalesce));
                Console.WriteLine($"  shard {opened.Count}: {size:N0} open");
            }

            // Let the accept burst end and the send schedule reach its steady rate before the window opens.
            await Task.Delay(Settle);
            var repliesBefore = (await Task.WhenAll(opened.Select(s => s.CountRepliesAsync()))).Sum();
            var observed = await Task.WhenAll(opened.Select(s => s.ObserveAsync(observe)));
            var replies = (await Task.WhenAll(opened.Select(s => s.CountRepliesAsync()))).Sum() - repliesBefore;
            var result = Summarize(connections, keepalive, answer, coalesce, observed, replies);

            Console.WriteLine();
            Console.WriteLine($"listeners over {observed[0].Window.TotalSeconds:0.0} s: CPU {Units.Fixed(result.CpuPercent, 3)} % of one core, " +
                $"{Units.Count(observed.Sum(o => o.Messages))} messages read ({Units.Fixed(result.MessagesPerSecond, 0)}/s), {Units.Count(replies)} replies read by the connectors, " +
                $"{Units.Fixed(result.CpuMicrosecondsPerMessage, 1)} µs of listener CPU per message");
            await JsonReport.WriteRawAsync(parsed.GetString("--json"), result);
            return result.MessagesPerSecond > 0 ? 0 : 1;
        }
        finally
        {
            foreach (var shard in opened)
            {
                await shard.DisposeAsync();
            }
        }
    }

    private static FloorResult Summarize(int connections, TimeSpan keepalive, bool answer, TimeSpan coalesce, FloorObservation[] observed, long replies)
    {
        var cpu = observed.Sum(o => o.Cpu.TotalSeconds);
        var window = observed[0].Window.TotalSeconds;
        var messages = observed.Sum(o => o.Messages);
        return new FloorResult(connections, keepalive.TotalSeconds, answer, coalesce.TotalMilliseconds, messages / window,
            replies / window, 100 * cpu / window, messages == 0 ? 0 : 1e6 * cpu / messages);
    }

    private sealed record FloorResult(
        [property: JsonPropertyName("connections")] int Connections,
        [property: JsonPropertyName("keepalive_s")] double KeepaliveSeconds,
        [property: JsonPropertyName("answer")] bool Answer,
        [property: JsonPropertyName("coalesce_ms")] double CoalesceMilliseconds,
        [property: JsonPropertyName("messages_per_s")] double MessagesPerSecond,
        [property: JsonPropertyName("replies_per_s")] double RepliesPerSecond,
        [property: JsonPropertyName("cpu_percent")] double CpuPercent,
        [property: JsonPropertyName("cpu_us_per_message")] double CpuMicrosecondsPerMessage);
}
