using System.Diagnostics;
using Tether.Lab.Contenders;
using Tether.Lab.Results;
using Tether.Lab.Scenarios;

namespace Tether.Lab.Engine;

/// <summary>Where the lab's networks come from.</summary>
public enum LabMode
{
    /// <summary>Real kernel TCP between Linux network namespaces (root only).</summary>
    Netns,

    /// <summary>A user-space fault proxy on loopback, for machines where namespaces are out of reach.</summary>
    Proxy,
}

/// <summary>Hears about runs as they finish (the CLI shows progress with it).</summary>
public interface ILabObserver
{
    /// <summary>A run finished.</summary>
    /// <param name="result">Its result.</param>
    /// <param name="elapsed">How long it took, setup and teardown included.</param>
    void Finished(LabResult result, TimeSpan elapsed);
}

/// <summary>
/// Runs every scenario for every contender, each run in a network of its own, several at once (runs are mostly
/// waiting, and their networks cannot see each other), and returns the results in scenario-then-contender order.
/// </summary>
/// <param name="observer">Told about each run; may be null.</param>
/// <param name="logDirectory">Where to keep every process's output (one file per run and side), or null.</param>
/// <param name="mode">Namespaces or the user-space proxy.</param>
public sealed class LabEngine(ILabObserver? observer = null, string? logDirectory = null, LabMode mode = LabMode.Netns)
{
    /// <summary>The stem of every namespace and interface name the lab creates (then six random hex digits per run).</summary>
    public const string NameStem = "tl";

    /// <summary>Runs the lab. Cancelling tears every network down before the task ends.</summary>
    /// <param name="scenarios">The scenarios.</param>
    /// <param name="contenders">The contenders.</param>
    /// <param name="parallelism">How many runs at once.</param>
    /// <param name="cancellationToken">Stops the lab (Ctrl-C).</param>
    /// <returns>One result per scenario and contender.</returns>
    public async Task<IReadOnlyList<LabResult>> RunAsync(
        IReadOnlyList<LabScenario> scenarios,
        IReadOnlyList<LabContender> contenders,
        int parallelism,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(scenarios);
        ArgumentNullException.ThrowIfNull(contenders);
        ArgumentOutOfRangeException.ThrowIfLessThan(parallelism, 1);
        var jobs = scenarios.SelectMany(s => contenders.Select(c => (Scenario: s, Contender: c))).ToList();
        var results = new LabResult[jobs.Count];
        using var slots = new SemaphoreSlim(parallelism);

        // Longest first, so the slow dial-up runs do not start last and stretch the whole lab.
        var order = Enumerable.Range(0, jobs.Count).OrderByDescending(i => Estimate(jobs[i].Scenario)).ToList();
        var tasks = order.Select(async index =>
        {
            await slots.WaitAsync(cancellationToken);
            try
            {
                var (scenario, contender) = jobs[index];
                var started = Stopwatch.GetTimestamp();
                results[index] = await RunOneAsync(scenario, contender, cancellationToken);
                observer?.Finished(results[index], Stopwatch.GetElapsedTime(started));
            }
            finally
            {
                slots.Release();
            }
        });
        await Task.WhenAll(tasks);
        return results;
    }

    private async Task<LabResult> RunOneAsync(LabScenario scenario, LabContender contender, CancellationToken cancellationToken)
    {
        if (contender.Unavailable() is { } reason)
        {
            return Unrun(scenario, contender, $"not run: {reason}");
        }

        try
        {
            return await new LabRun(scenario, contender, logDirectory, ModeName, CreateNetworkAsync).RunAsync(cancellationToken);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            // One broken run (a contender that would not start) must not take the whole table with it.
            if (logDirectory is not null)
            {
                Directory.CreateDirectory(logDirectory);
                await File.WriteAllTextAsync(Path.Combine(logDirectory, $"{scenario.Name}.{contender.Name}.error.log"), e.ToString(), CancellationToken.None);
            }

            return Unrun(scenario, contender, $"{LabRun.ErrorPrefix} {e.GetType().Name}: {FirstLine(e.Message)}");
        }
    }

    /// <summary>The JSON's <c>mode</c>.</summary>
    private string ModeName => mode == LabMode.Proxy ? "proxy" : "netns";

    private async Task<ILabNetwork> CreateNetworkAsync(LabScenario scenario, CancellationToken cancellationToken) =>
        mode == LabMode.Proxy ? await Proxy.ProxyNetwork.CreateAsync(scenario, cancellationToken) : await NetnsNetwork.CreateAsync(scenario, cancellationToken);

    private LabResult Unrun(LabScenario scenario, LabContender contender, string note) =>
        new(scenario.Name, contender.Name, ModeName, contender.HasBound ? scenario.Bound.TotalSeconds : null, new(null, null), 0, null, null, null, note)
        {
            Label = scenario.Label,
        };

    private static string FirstLine(string text) => text.Split('\n', 2)[0].Trim();

    private static TimeSpan Estimate(LabScenario scenario) =>
        scenario.IsHealthy ? scenario.Deadline : scenario.Delay + scenario.FaultAfter + scenario.Observe;
}
