using System.CommandLine;
using Tether.Cli.Lab.Contenders;
using Tether.Cli.Output;
using Tether.Lab.Contenders;
using Tether.Lab.Engine;
using Tether.Lab.Netns;
using Tether.Lab.Results;
using Tether.Lab.Scenarios;

namespace Tether.Cli.Lab;

/// <summary>
/// <c>tether lab</c>: puts Tether and other systems through the fault scenarios with real kernel TCP in network
/// namespaces, prints a table, and optionally writes the results as JSON. The hidden <c>lab contender</c> command runs
/// the ends of the contenders implemented in this CLI.
/// </summary>
internal static class LabCommand
{
    private static readonly string[] RequiredCommands = ["ip", "tc", "nft", "conntrack", "sysctl"];

    /// <summary>Creates the command.</summary>
    /// <param name="output">The JSON-lines output the hidden contender ends report to.</param>
    /// <returns>The command.</returns>
    public static Command Create(JsonLinesWriter output)
    {
        var scenarioOption = new Option<string[]>("--scenario")
        {
            Description = $"Run only this scenario (repeatable): {string.Join(", ", ScenarioCatalog.Names)}.",
        };
        var contenderOption = new Option<string[]>("--contender") { Description = "Run only this contender (repeatable)." };
        var quick = new Option<bool>("--quick") { Description = "Scale times and payloads down so the whole set runs in a few minutes (the dial-up bound stays 10 s)." };
        var json = new Option<FileInfo?>("--json") { Description = "Write the results to this file as a JSON array." };
        var plot = new Option<FileInfo?>("--plot") { Description = "Draw detection times and dial-up transfer progress to this PNG file." };
        var proxy = new Option<bool>("--proxy") { Description = "Use the user-space fault proxy on loopback even where network namespaces are available (it is used anyway without root on Linux)." };
        var logs = new Option<DirectoryInfo?>("--logs") { Description = "Keep every process's output here (one file per run and side)." };
        var parallel = new Option<int>("--parallel")
        {
            Description = "Runs at once (each in its own namespaces; runs mostly wait).",
            DefaultValueFactory = _ => 4,
        };
        var command = new Command(
            "lab",
            "Prove liveness with real kernel TCP: each scenario builds its own network namespaces (veth, NAT router, tbf), runs Tether and other systems in it, injects the fault, and measures. Needs root on Linux.")
        {
            scenarioOption, contenderOption, quick, json, plot, proxy, logs, parallel,
        };
        command.Subcommands.Add(CreateContenderCommand(output));
        command.SetAction(async (parse, cancellationToken) =>
        {
            var contenders = Contenders(CliHost());
            var selected = parse.GetValue(contenderOption) ?? [];
            var unknown = selected.Except(contenders.Select(c => c.Name)).ToList();
            IReadOnlyList<LabScenario> scenarios;
            try
            {
                scenarios = ScenarioCatalog.Select(parse.GetValue(quick), parse.GetValue(scenarioOption) ?? []);
                if (unknown.Count > 0)
                {
                    throw new ArgumentException($"unknown contender {string.Join(", ", unknown)}; known: {string.Join(", ", contenders.Select(c => c.Name))}");
                }
            }
            catch (ArgumentException e)
            {
                await Console.Error.WriteLineAsync($"tether lab: {e.Message}");
                return ExitCodes.Usage;
            }

            if (parse.GetValue(parallel) < 1)
            {
                await Console.Error.WriteLineAsync("tether lab: --parallel must be at least 1");
                return ExitCodes.Usage;
            }

            var mode = parse.GetValue(proxy) || !HostEnvironment.IsLinuxRoot ? LabMode.Proxy : LabMode.Netns;
            if (mode == LabMode.Netns && MissingCommands() is { } missing)
            {
                await Console.Error.WriteLineAsync($"tether lab: {missing}");
                return ExitCodes.Error;
            }

            var chosen = selected.Length == 0 ? contenders : contenders.Where(c => selected.Contains(c.Name)).ToList();
            var report = new LabReport(scenarios, chosen, parse.GetValue(quick), mode);
            report.Header();
            IReadOnlyList<LabResult> results;
            try
            {
                results = await new LabEngine(report, parse.GetValue(logs)?.FullName, mode).RunAsync(scenarios, chosen, parse.GetValue(parallel), cancellationToken);
            }
            catch (OperationCanceledException)
            {
                await Console.Error.WriteLineAsync("tether lab: interrupted; every namespace, rule and process of this run was removed.");
                return ExitCodes.Interrupted;
            }

            report.Table(results);
            if (parse.GetValue(json) is { } file)
            {
                await File.WriteAllTextAsync(file.FullName, LabJson.Serialize(results), CancellationToken.None);
            }

            if (parse.GetValue(plot) is { } png)
            {
                LabPlot.Save(results, png.FullName);
            }

            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>The contenders, in the table's order.</summary>
    /// <param name="cli">How to start this CLI in a namespace.</param>
    /// <returns>The contenders.</returns>
    internal static IReadOnlyList<LabContender> Contenders(CliHost cli) =>
    [
        new TetherContender(cli),
        new CliContender(cli, "tcp", hasBound: false, "plain socket, no keepalive; the receiver reports a flow's longest silence"),
        new CliContender(cli, "tcp-keepalive", hasBound: false, "plain socket, SO_KEEPALIVE with the system's defaults (2 h idle)"),
        new CliContender(cli, "seed-2005", hasBound: true, "ping after keepalive of silence, abandon if no answer within the bound"),
        new FoolscapContender(),
        new CliContender(cli, "grpc", hasBound: true, "HTTP/2 keepalive: ping after keepalive of silence, give up at the bound"),
    ];

    /// <summary>This very CLI, as the lab starts it inside a namespace.</summary>
    private static CliHost CliHost()
    {
        var host = Environment.ProcessPath ?? "dotnet";
        var assembly = typeof(LabCommand).Assembly.Location;
        return Path.GetFileNameWithoutExtension(host) == "dotnet" ? new(host, [assembly]) : new(host, []);
    }

    /// <summary>Which commands the namespace lab needs and this machine lacks, or null.</summary>
    private static string? MissingCommands()
    {
        var absent = RequiredCommands.Where(c => HostEnvironment.FindCommand(c) is null).ToList();
        return absent.Count == 0 ? null : $"missing commands: {string.Join(", ", absent)} (Debian: apt-get install iproute2 nftables conntrack procps)";
    }

    private static Command CreateContenderCommand(JsonLinesWriter output)
    {
        var command = new Command("contender", "Run one end of a lab contender (used by the lab itself).") { Hidden = true };
        foreach (var flavor in StreamFlavor.All)
        {
            command.Subcommands.Add(StreamContenderCommand.Create(flavor, output));
        }

        command.Subcommands.Add(GrpcContenderCommand.Create(output));

        return command;
    }
}
