using ScottPlot;
using Tether.Lab.Results;
using Tether.Lab.Scenarios;

namespace Tether.Cli.Lab;

/// <summary>
/// <c>--plot</c>: one PNG with two charts. Top: detection time per fault scenario and contender (the slower of the sides
/// that must notice; "never" where one of them did not) against the configured bound. Bottom: the dial-up transfers' progress over time
/// per contender, with every disconnect marked.
/// </summary>
internal static class LabPlot
{
    private const int Width = 1400;
    private const int Height = 1100;

    /// <summary>Writes the chart.</summary>
    /// <param name="results">The lab's results.</param>
    /// <param name="path">The PNG file.</param>
    public static void Save(IReadOnlyList<LabResult> results, string path)
    {
        var contenders = results.Select(r => r.Contender).Distinct().ToList();
        var palette = new ScottPlot.Palettes.Category10();
        var colors = contenders.Select((c, i) => (c, palette.GetColor(i))).ToDictionary(p => p.c, p => p.Item2);

        var multiplot = new Multiplot();
        multiplot.Reset(Detection(results, contenders, colors));
        multiplot.AddPlot(Progress(results, colors));
        multiplot.SavePng(path, Width, Height);
    }

    private static Plot Detection(IReadOnlyList<LabResult> results, List<string> contenders, Dictionary<string, Color> colors)
    {
        var plot = new Plot();
        plot.Title("Detection time after the fault (the slower of the sides that must notice)");
        plot.YLabel("seconds");
        var faults = results.Where(r => !r.Healthy).GroupBy(r => r.Label).ToList();
        var ticks = new List<Tick>();
        var bars = new List<Bar>();
        var top = 0.0;
        for (var group = 0; group < faults.Count; group++)
        {
            var center = group * (contenders.Count + 1);
            ticks.Add(new Tick(center + (contenders.Count - 1) / 2.0, faults[group].Key));
            foreach (var r in faults[group])
            {
                var position = center + contenders.IndexOf(r.Contender);
                var required = new[] { (LabSides.Client, r.Detected.Client), (LabSides.Server, r.Detected.Server) }
                    .Where(side => r.MustDetect.HasFlag(side.Item1)).Select(side => side.Item2).ToList();
                if (required.All(d => d is not null) && required.Max() is { } s)
                {
                    bars.Add(new Bar { Position = position, Value = s, FillColor = colors[r.Contender] });
                    top = Math.Max(top, s);
                }
                else
                {
                    var never = plot.Add.Text("never", position, 0.1);
                    never.LabelRotation = -90;
                    never.LabelFontColor = colors[r.Contender];
                }
            }

            if (faults[group].First(r => r.BoundSeconds is not null).BoundSeconds is { } bound)
            {
                var line = plot.Add.Line(center - 0.5, bound, center + contenders.Count - 0.5, bound);
                line.LineColor = Colors.Black;
                line.LinePattern = LinePattern.Dashed;
                top = Math.Max(top, bound);
            }
        }

        plot.Add.Bars(bars);
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual([.. ticks]);
        plot.Axes.SetLimitsY(0, top * 1.15);
        foreach (var contender in contenders)
        {
            plot.Legend.ManualItems.Add(new LegendItem { LabelText = contender, FillColor = colors[contender] });
        }

        plot.Legend.ManualItems.Add(new LegendItem { LabelText = "configured bound", LineColor = Colors.Black, LinePattern = LinePattern.Dashed, LineWidth = 1 });
        plot.ShowLegend(Alignment.UpperRight);
        return plot;
    }

    private static Plot Progress(IReadOnlyList<LabResult> results, Dictionary<string, Color> colors)
    {
        var plot = new Plot();
        plot.Title("Dial-up transfers (56 kbit/s): bytes received over time; X = a false disconnect");
        plot.XLabel("seconds since the connection was made");
        plot.YLabel("KiB");
        foreach (var r in results.Where(r => r.Label.StartsWith("dialup", StringComparison.Ordinal) && r.Progress.Count > 0))
        {
            var xs = r.Progress.Select(p => p.Seconds).Prepend(0).ToArray();
            var ys = r.Progress.Select(p => p.Bytes / 1024.0).Prepend(0).ToArray();
            var line = plot.Add.Scatter(xs, ys, colors[r.Contender]);
            line.LegendText = $"{r.Contender} {r.Label["dialup-".Length..]}";
            line.MarkerSize = 0;
            line.LinePattern = r.Label.EndsWith("download", StringComparison.Ordinal) ? LinePattern.Dashed : LinePattern.Solid;

            // Only disconnects before the orderly end are news; the last one of a completed transfer is the close.
            foreach (var at in r.FalseDisconnects > 0 ? r.Disconnects : [])
            {
                plot.Add.Marker(at, ys[^1], MarkerShape.Cross, 14, colors[r.Contender]);
            }
        }

        plot.ShowLegend(Alignment.UpperLeft);
        return plot;
    }
}
