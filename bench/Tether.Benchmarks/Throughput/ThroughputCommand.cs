using Tether.Bench.Cli;
using Tether.Bench.Reporting;

namespace Tether.Benchmarks.Throughput;

/// <summary>
/// <c>throughput</c>: one connection over loopback moving messages as fast as it can, against a plain socket pair in the
/// same run. Each scenario runs for a warm-up, then for the measured window, one after the other (never two at once).
/// </summary>
internal static class ThroughputCommand
{
    public const string Usage =
        "throughput [--seconds N (5)] [--warmup N (1)] [--message-size BYTES (65536)] [--in-flight N (8)] [--scenarios a,b,...] [--allocations TOP-N] [--json FILE]";

    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        var parsed = BenchArguments.Parse(args, "--seconds", "--warmup", "--message-size", "--in-flight", "--scenarios", "--allocations", "--json");
        var settings = new ThroughputSettings(
            TimeSpan.FromSeconds(parsed.GetSeconds("--warmup", 1)),
            TimeSpan.FromSeconds(parsed.GetSeconds("--seconds", 5)),
            parsed.GetInt("--message-size", 64 * 1024),
            parsed.GetInt("--in-flight", 8));
        var scenarios = ThroughputScenarios.Select(parsed.GetString("--scenarios"));
        var topAllocations = parsed.GetInt("--allocations", 0, min: 0);

        Console.WriteLine($"# Throughput: {settings.MessageSize:N0}-byte messages, {settings.Duration.TotalSeconds:0.#} s after {settings.Warmup.TotalSeconds:0.#} s warm-up, {settings.InFlight} sends in flight");
        Console.WriteLine($"Machine: {MachineInfo.Current}");
        var results = new List<ThroughputResult>();
        foreach (var scenario in scenarios)
        {
            Console.Write($"  {scenario.Key} ... ");
            using var sampler = topAllocations > 0 ? new AllocationSampler() : null;
            var result = await MeasureAsync(scenario, settings);
            Console.WriteLine($"{result.GigabytesPerSecond:0.00} GB/s");
            foreach (var (type, bytes) in sampler?.Top(topAllocations) ?? [])
            {
                Console.WriteLine($"      {Units.Bytes(bytes),12}  {type}");
            }

            results.Add(result);
        }

        Console.WriteLine();
        Console.WriteLine(Format(results));
        await JsonReport.WriteAsync(parsed.GetString("--json"), "throughput", new { Settings = settings, Scenarios = results });
        return 0;
    }

    private static async Task<ThroughputResult> MeasureAsync(IThroughputScenario scenario, ThroughputSettings settings)
    {
        var delivered = new DeliveryCounter();
        ResourceSnapshot start, end;
        await using (var transfer = await scenario.StartAsync(settings, delivered))
        {
            await Task.Delay(settings.Warmup);
            start = ResourceSnapshot.Take(delivered);
            await Task.Delay(settings.Duration);
            end = ResourceSnapshot.Take(delivered);
        }

        return ThroughputResult.From(scenario, settings, start, end);
    }

    private static string Format(IEnumerable<ThroughputResult> results)
    {
        var table = new MarkdownTable("scenario", "GB/s", "GiB/s", "msg/s", "CPU s (user+sys)", "cores busy", "other procs (cores)", "CPU s per GB", "GC 0/1/2", "alloc B/msg", "pool items/msg");
        foreach (var r in results)
        {
            table.Add(
                r.Scenario,
                Units.Fixed(r.GigabytesPerSecond),
                Units.Fixed(r.GibibytesPerSecond),
                Units.Count((long)r.MessagesPerSecond),
                $"{Units.Fixed(r.UserCpuSeconds)}+{Units.Fixed(r.KernelCpuSeconds)}",
                Units.Fixed(r.CoresBusy),
                r.OtherProcessesCores is { } other ? Units.Fixed(other) : "-",
                Units.Fixed(r.CpuSecondsPerGigabyte, 3),
                $"{r.Gen0Collections}/{r.Gen1Collections}/{r.Gen2Collections}",
                Units.Fixed(r.AllocatedBytesPerMessage, 1),
                Units.Fixed(r.ThreadPoolItemsPerMessage));
        }

        return table + string.Join(Environment.NewLine, results.Select(r => $"- {r.Scenario}: {r.Description}"));
    }
}
