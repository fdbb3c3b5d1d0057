using System.Globalization;
using Tether.Lab.Scenarios;

namespace Tether.Lab.Results;

/// <summary>
/// What the lab promises for Tether: every side that must notice a fault does so within the bound plus
/// <see cref="Slack"/>, nothing disconnects without a fault, and every transfer in a healthy scenario completes intact.
/// Other contenders are reported, never judged.
/// </summary>
public static class LabVerdict
{
    /// <summary>Allowed lateness beyond the bound: one heartbeat tick, scheduling, and the lab's own clock reading.</summary>
    public static TimeSpan Slack { get; } = TimeSpan.FromSeconds(1);

    /// <summary>Lists every broken promise in <paramref name="results"/> for <paramref name="contender"/>.</summary>
    /// <param name="results">Lab results (any contenders; others are ignored).</param>
    /// <param name="contender">The contender held to the promise.</param>
    /// <returns>One line per failure; empty when all is well.</returns>
    public static IReadOnlyList<string> Failures(IEnumerable<LabResult> results, string contender = "tether")
    {
        ArgumentNullException.ThrowIfNull(results);
        var scenarios = ScenarioCatalog.Create(quick: false).GroupBy(s => s.Name).ToDictionary(g => g.Key, g => g.First());
        var failures = new List<string>();
        foreach (var result in results.Where(r => r.Contender == contender))
        {
            void Fail(string what) => failures.Add(string.Create(CultureInfo.InvariantCulture, $"{result.Scenario}: {what} ({result.Note})"));

            if (!scenarios.TryGetValue(result.Scenario, out var scenario))
            {
                Fail("unknown scenario");
                continue;
            }

            if (result.Note.Contains(Engine.LabRun.ErrorPrefix, StringComparison.Ordinal))
            {
                Fail("the run could not be carried out");
                continue;
            }

            if (result.FalseDisconnects != 0)
            {
                Fail($"{result.FalseDisconnects} false disconnect(s)");
            }

            if (scenario.IsHealthy)
            {
                if (scenario.HasTransfers && (result.Completed != true || result.Intact != true))
                {
                    Fail($"transfer completed={result.Completed}, intact={result.Intact}");
                }

                continue;
            }

            var limit = (result.BoundSeconds ?? double.NaN) + Slack.TotalSeconds;
            foreach (var (side, seconds) in new[] { (LabSides.Client, result.Detected.Client), (LabSides.Server, result.Detected.Server) })
            {
                if (!scenario.MustDetect.HasFlag(side))
                {
                    continue;
                }

                if (seconds is not { } s)
                {
                    Fail($"{side.ToString().ToLowerInvariant()} never noticed");
                }
                else if (!(s <= limit))
                {
                    Fail($"{side.ToString().ToLowerInvariant()} noticed after {s:0.000} s, beyond bound + {Slack.TotalSeconds:0} s = {limit:0.###} s");
                }
            }
        }

        return failures;
    }
}
