using System.CommandLine;
using Tether.Bench;

namespace Tether.Cli.Bench;

/// <summary>
/// <c>tether bench</c>: performance measurements (bench/Tether.Bench). The subcommands parse their own options, so
/// every token after <c>bench</c> is handed over as it is.
/// </summary>
internal static class BenchCommand
{
    /// <summary>Builds the <c>bench</c> command.</summary>
    /// <returns>The command.</returns>
    public static Command Create()
    {
        var rest = new Argument<string[]>("args") { Arity = ArgumentArity.ZeroOrMore, Description = "rpc ... or idle ..." };
        var command = new Command("bench", "Measure Tether against gRPC, StreamJsonRpc and SignalR (rpc), the cost of idle connections (idle) and what the kernel alone charges for their keepalives (floor).\n" + BenchEntry.Usage)
        {
            rest,
        };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(parse =>
        {
            var tokens = parse.Tokens.Select(t => t.Value).ToArray();
            var start = Array.IndexOf(tokens, command.Name) + 1;
            return BenchEntry.RunAsync(tokens[start..], [command.Name]);
        });
        return command;
    }
}
