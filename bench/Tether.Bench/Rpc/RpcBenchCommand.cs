using Tether.Bench.Cli;
using Tether.Bench.Reporting;

namespace Tether.Bench.Rpc;

/// <summary>
/// <c>rpc</c>: the same workloads against Tether and each contender in one run, on loopback, each server in a child
/// process, one client connection per contender in this process. Contenders alternate within every workload (the
/// starting contender rotates) so drift of the shared machine hits all alike.
/// </summary>
internal static class RpcBenchCommand
{
    public const string Usage = "rpc [--vs grpc,streamjsonrpc,signalr] [--duration DUR (5s)] [--warmup DUR (1s)] [--workloads unary_small,payload_1mb,callbacks] [--rounds N (1)] [--json FILE]";

    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        var parsed = BenchArguments.Parse(args, "--vs", "--duration", "--warmup", "--workloads", "--rounds", "--json");
        var rounds = parsed.GetInt("--rounds", 1);
        var duration = parsed.GetDuration("--duration", TimeSpan.FromSeconds(5));
        var warmup = parsed.GetDuration("--warmup", TimeSpan.FromSeconds(1));
        var names = parsed.GetList("--vs", "grpc,streamjsonrpc,signalr");
        var workloadNames = parsed.GetList("--workloads", string.Join(',', RpcWorkload.All.Select(w => w.Name).Distinct()));
        var workloads = RpcWorkload.All.Where(w => workloadNames.Contains(w.Name)).ToList();
        var contenders = names.Prepend("tether").Distinct().Select(Contenders.Find).ToList();

        Console.WriteLine($"# RPC on loopback: {string.Join(", ", contenders.Select(c => c.Name))}; {duration.TotalSeconds:0.#} s per measurement after {warmup.TotalSeconds:0.#} s warm-up");
        Console.WriteLine($"Machine: {MachineInfo.Current}");
        Console.WriteLine("Each server runs in a child process; the clients run in this process.");
        foreach (var contender in contenders)
        {
            Console.WriteLine($"- {contender.Name}: {contender.Config}");
        }

        var sides = new List<ContenderSide>();
        try
        {
            foreach (var contender in contenders)
            {
                sides.Add(await ContenderSide.StartAsync(contender));
            }

            var all = new List<RpcResult>();
            for (var round = 0; round < rounds; round++)
            {
                for (var w = 0; w < workloads.Count; w++)
                {
                    for (var i = 0; i < sides.Count; i++)
                    {
                        var result = await sides[(w + i + round) % sides.Count].MeasureAsync(workloads[w], warmup, duration);
                        Console.WriteLine($"  round {round + 1}: {result.Workload} x{result.Outstanding} {result.Contender}: {Units.Count((long)result.OpsPerSecond)} ops/s");
                        all.Add(result);
                    }
                }
            }

            var results = Median(all);

            Console.WriteLine();
            Console.WriteLine(rounds > 1 ? $"Median round by ops/s of {rounds}:" : "");
            Console.WriteLine(RpcReport.Format(results));
            await JsonReport.WriteRawAsync(parsed.GetString("--json"), results);
            return 0;
        }
        finally
        {
            foreach (var side in sides)
            {
                await side.DisposeAsync();
            }
        }
    }

    /// <summary>Per contender, workload and concurrency (in first-run order), the round with the median throughput.</summary>
    private static List<RpcResult> Median(List<RpcResult> all)
    {
        static (string, int, string) Key(RpcResult r) => (r.Workload, r.Outstanding, r.Contender);
        return [.. all.Select(Key).Distinct().Select(key =>
        {
            var runs = all.Where(r => Key(r) == key).OrderBy(r => r.OpsPerSecond).ToList();
            return runs[runs.Count / 2];
        })];
    }
}
