using Tether.Bench.Cli;
using Tether.Bench.Floor;
using Tether.Bench.Hosting;
using Tether.Bench.Idle;
using Tether.Bench.Rpc;

namespace Tether.Bench;

/// <summary>
/// The entry point of <c>tether bench</c>: <c>rpc</c> (Tether against gRPC, StreamJsonRpc and SignalR), <c>idle</c> (many
/// idle connections) and <c>floor</c> (their keepalive exchange with nothing but the kernel), plus the hidden child
/// commands their servers run as.
/// </summary>
public static class BenchEntry
{
    /// <summary>The usage text.</summary>
    public static string Usage { get; } = $"""
        Usage:
          tether bench {RpcBenchCommand.Usage}
          tether bench {IdleBenchCommand.Usage}
          tether bench {FloorBenchCommand.Usage}
          tether bench {CallFloor.Usage}
        """;

    /// <summary>Runs one bench command.</summary>
    /// <param name="args">The arguments after <c>bench</c>.</param>
    /// <param name="commandPrefix">What this executable needs before <paramref name="args"/> to get here again
    /// (the child processes are this program), e.g. <c>["bench"]</c>.</param>
    /// <returns>The exit code: 0 success, 1 a measurement failed its own checks, 2 bad arguments.</returns>
    public static async Task<int> RunAsync(string[] args, IReadOnlyList<string> commandPrefix)
    {
        SelfProcess.CommandPrefix = commandPrefix;
        try
        {
            return args switch
            {
                ["rpc", .. var rest] => await RpcBenchCommand.RunAsync(rest),
                ["idle", .. var rest] => await IdleBenchCommand.RunAsync(rest),
                ["floor", .. var rest] => await FloorBenchCommand.RunAsync(rest),
                ["floor-calls", .. var rest] => await CallFloor.RunAsync(rest),
                [RpcServerChild.CommandName, .. var rest] => await RpcServerChild.RunAsync(rest),
                [ListenerChild.CommandName, .. var rest] => await ListenerChild.RunAsync(rest),
                [ConnectorChild.CommandName, .. var rest] => await ConnectorChild.RunAsync(rest),
                [FloorListenerChild.CommandName, .. var rest] => await FloorListenerChild.RunAsync(rest),
                [FloorConnectorChild.CommandName, .. var rest] => await FloorConnectorChild.RunAsync(rest),
                [CallFloorServerChild.CommandName] => await CallFloorServerChild.RunAsync(),
                _ => PrintUsage(args is ["--help" or "-h"] ? 0 : 2),
            };
        }
        catch (UsageException e)
        {
            await Console.Error.WriteLineAsync(e.Message);
            return PrintUsage(2);
        }
    }

    private static int PrintUsage(int exitCode)
    {
        (exitCode == 0 ? Console.Out : Console.Error).WriteLine(Usage);
        return exitCode;
    }
}
