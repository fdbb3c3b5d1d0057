using BenchmarkDotNet.Running;
using Tether.Bench.Cli;
using Tether.Bench.Idle;
using Tether.Benchmarks.Throughput;

namespace Tether.Benchmarks;

/// <summary>
/// Entry point. <c>throughput</c> and <c>idle</c> are end-to-end measurements with their own result tables; anything
/// else goes to BenchmarkDotNet (e.g. <c>--filter '*'</c>).
/// </summary>
internal static class Program
{
    private static readonly string Usage = $"""
        Usage:
          {ThroughputCommand.Usage}
          {IdleCommand.Usage}
          [BenchmarkDotNet arguments, e.g. --filter '*' or --list flat]
        """;

    private static async Task<int> Main(string[] args)
    {
        try
        {
            return args switch
            {
                ["throughput", .. var rest] => await ThroughputCommand.RunAsync(rest),
                ["idle", .. var rest] => await IdleCommand.RunAsync(rest),
                [ListenerChild.CommandName, ..] => await Tether.Bench.BenchEntry.RunAsync(args, []),
                ["--help" or "-h"] => PrintUsage(),
                _ => RunMicroBenchmarks(args),
            };
        }
        catch (UsageException e)
        {
            Console.Error.WriteLine(e.Message);
            Console.Error.WriteLine(Usage);
            return 2;
        }
    }

    private static int PrintUsage()
    {
        Console.WriteLine(Usage);
        return 0;
    }

    private static int RunMicroBenchmarks(string[] args)
    {
        var summaries = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? 1 : 0;
    }
}
