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
    public const string Usage = "rpc [--vs grpc,streamjsonrpc] [--duration DUR (5s)] [--warmup DUR (1s)] [--workloads unary_small,payload_1mb,callbacks] [--json FILE]";

    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        var parsed = BenchArguments.Parse(args, "--vs", "--duration", "--warmup", "--workloads", "--json");
        var duration = parsed.GetDuration("--duration", TimeSpan.FromSeconds(5));
        var warmup = parsed.GetDuration("--warmup", TimeSpan.FromSeconds(1));
        var names = parsed.GetList("--vs", "grpc,streamjsonrpc");
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

            var results = new List<RpcResult>();
            for (var w = 0; w < workloads.Count; w++)
            {
                var workload = workloads[w];
                for (var i = 0; i < sides.Count; i++)
                {
                    var side = sides[(w + i) % sides.Count];
                    var result = await side.MeasureAsync(workload, warmup, duration);
                    Console.WriteLine($"  {result.Workload} x{result.Outstanding} {result.Contender}: {Units.Count((long)result.OpsPerSecond)} ops/s");
                    results.Add(result);
                }
            }

            Console.WriteLine();
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
}
