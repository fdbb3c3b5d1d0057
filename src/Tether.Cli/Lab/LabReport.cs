using System.Globalization;
using Spectre.Console;
using Tether.Lab.Contenders;
using Tether.Lab.Engine;
using Tether.Lab.Results;
using Tether.Lab.Scenarios;

namespace Tether.Cli.Lab;

/// <summary>What <c>tether lab</c> prints: a header, one line per finished run while the lab works, then the table.</summary>
/// <param name="scenarios">The scenarios.</param>
/// <param name="contenders">The contenders.</param>
/// <param name="quick">Whether this is a quick run.</param>
/// <param name="mode">Namespaces or the user-space proxy.</param>
internal sealed class LabReport(IReadOnlyList<LabScenario> scenarios, IReadOnlyList<LabContender> contenders, bool quick, LabMode mode) : ILabObserver
{
    private readonly Lock _gate = new();
    private readonly int _total = scenarios.Count * contenders.Count;
    private int _finished;

    /// <summary>Says what is about to run and how.</summary>
    public void Header()
    {
        if (Console.IsOutputRedirected)
        {
            // Spectre would fold the table into 80 columns; a file or a test log has room.
            AnsiConsole.Profile.Width = 240;
        }

        AnsiConsole.MarkupLine($"[bold]tether lab[/]{(quick ? " --quick" : string.Empty)}: {scenarios.Count} scenario runs x {contenders.Count} contenders ({string.Join(", ", contenders.Select(c => c.Name))})");
        if (mode == LabMode.Netns)
        {
            AnsiConsole.MarkupLine($"mode [bold]netns[/]: real kernel TCP between network namespaces named {LabEngine.NameStem}XXXXXX-*, one network per run, removed afterwards.");
        }
        else
        {
            AnsiConsole.MarkupLine("mode [bold yellow]proxy[/] (asked for with --proxy, or no root on Linux for network namespaces): every run goes through a user-space fault proxy on loopback.");
            AnsiConsole.MarkupLine("[yellow]The proxy drops, paces and resets bytes, not packets: kernel timers (retransmission, TCP_USER_TIMEOUT, SO_KEEPALIVE) never fire and keepalive bytes exclude headers. The figures are indicative; the namespace lab is the reference.[/]");
        }
    }

    /// <inheritdoc />
    public void Finished(LabResult result, TimeSpan elapsed)
    {
        lock (_gate)
        {
            _finished++;
            AnsiConsole.MarkupLineInterpolated(CultureInfo.InvariantCulture, $"[grey][[{_finished}/{_total}]][/] {result.Label} x {result.Contender}: {Summary(result)} [grey]({elapsed.TotalSeconds:0} s)[/]");
        }
    }

    /// <summary>Prints the results table, what each contender's bound means, and Tether's verdict.</summary>
    /// <param name="results">The results.</param>
    public void Table(IReadOnlyList<LabResult> results)
    {
        var table = new Table().Border(TableBorder.Rounded);
        foreach (var column in new[] { "scenario", "contender", "bound", "detected: client", "detected: server", "false disc.", "transfer", "keepalive bytes", "note" })
        {
            table.AddColumn(column);
        }

        foreach (var r in results)
        {
            table.AddRow(
                Markup.Escape(r.Label),
                Markup.Escape(r.Contender),
                r.BoundSeconds is { } b ? Seconds(b) : "none",
                Detected(r, r.Detected.Client),
                Detected(r, r.Detected.Server),
                r.FalseDisconnects == 0 ? "0" : $"[red]{r.FalseDisconnects}[/]",
                Transfer(r),
                r.KeepaliveBytes?.ToString("N0", CultureInfo.InvariantCulture) ?? "-",
                Markup.Escape(r.Note));
        }

        AnsiConsole.Write(table);
        foreach (var contender in contenders.Where(c => c.BoundNote is not null))
        {
            AnsiConsole.MarkupLineInterpolated($"[grey]{contender.Name}: {contender.BoundNote}[/]");
        }

        var failures = LabVerdict.Failures(results);
        if (!results.Any(r => r.Contender == "tether"))
        {
            return;
        }

        if (failures.Count == 0)
        {
            AnsiConsole.MarkupLine($"[green]tether kept every promise:[/] each fault noticed within the bound + {LabVerdict.Slack.TotalSeconds:0} s on every side that must notice it; no false disconnect; transfers intact.");
        }
        else
        {
            AnsiConsole.MarkupLine("[red]tether broke a promise:[/]");
            foreach (var failure in failures)
            {
                AnsiConsole.MarkupLineInterpolated($"  [red]{failure}[/]");
            }
        }
    }

    private static string Summary(LabResult r) => r.Detected.Client is not null || r.Detected.Server is not null
        ? $"detected client {Plain(r.Detected.Client)}, server {Plain(r.Detected.Server)}"
        : $"false disconnects {r.FalseDisconnects}, transfer {Plain(r.Completed)}";

    private static string Plain(object? value) => value switch
    {
        null => "-",
        double d => Seconds(d),
        bool b => b ? "completed" : "not completed",
        _ => value.ToString() ?? "-",
    };

    private static string Seconds(double seconds) => seconds.ToString("0.00", CultureInfo.InvariantCulture) + " s";

    private static string Detected(LabResult r, double? seconds) => seconds switch
    {
        null when r.Healthy => "-",
        null => "never",
        { } s when r.BoundSeconds is { } b && s > b + LabVerdict.Slack.TotalSeconds => $"[yellow]{Seconds(s)}[/]",
        { } s => Seconds(s),
    };

    private static string Transfer(LabResult r) => (r.Completed, r.Intact) switch
    {
        (null, _) => "-",
        (true, true) => "[green]intact[/]",
        (true, _) => "[red]corrupt[/]",
        _ => "[red]not completed[/]",
    };
}
