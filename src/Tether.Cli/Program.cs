using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using Tether.Cli.Demo;
using Tether.Cli.Lab;
using Tether.Cli.Output;
using Tether.Cli.Peer;

namespace Tether.Cli;

/// <summary>
/// The <c>tether</c> command line. Each area is a subcommand built by its own class: <c>peer</c> and <c>demo</c> today;
/// <c>lab</c> (fault-lab scenarios) and <c>bench</c> (benchmarks) are meant to join it the same way.
/// </summary>
internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        // Start the "t" clock first; it counts from the process start anyway.
        using var output = new JsonLinesWriter(Console.OpenStandardOutput(), JsonLinesWriter.ProcessClock());
        var root = CreateRootCommand(output);
        var parse = root.Parse(args);
        if (parse.Action is ParseErrorAction)
        {
            // System.CommandLine would exit 1; bad arguments are exit code 2 here.
            foreach (var error in parse.Errors)
            {
                await Console.Error.WriteLineAsync($"{CommandPath(parse)}: {error.Message}");
            }

            await Console.Error.WriteLineAsync($"Run '{CommandPath(parse)} --help' for usage.");
            return ExitCodes.Usage;
        }

        return await parse.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromSeconds(5) });
    }

    /// <summary>Builds the root command (named <c>tether</c> whatever the executable is called).</summary>
    /// <param name="output">The JSON-lines output the commands report to.</param>
    /// <returns>The command tree.</returns>
    internal static Command CreateRootCommand(JsonLinesWriter output)
    {
        var root = new Command("tether", "Tether command-line tool: run connection peers and report what happens as JSON lines.")
        {
            new HelpOption(),
            new VersionOption(),
        };
        root.Subcommands.Add(PeerCommand.Create(output));
        root.Subcommands.Add(DemoCommand.Create());
        root.Subcommands.Add(LabCommand.Create(output));
        root.Subcommands.Add(Bench.BenchCommand.Create());
        return root;
    }

    private static string CommandPath(ParseResult parse)
    {
        var names = new List<string>();
        for (var result = parse.CommandResult; result is not null; result = result.Parent as System.CommandLine.Parsing.CommandResult)
        {
            names.Insert(0, result.Command.Name);
        }

        return string.Join(' ', names);
    }
}
