using System.Diagnostics;
using System.Text;
using Tether.Functional.Tests.Infrastructure;
using Tether.Lab.Engine;
using Tether.Lab.Results;
using Tether.Lab.Scenarios;
using Xunit.Abstractions;

namespace Tether.Functional.Tests;

/// <summary>
/// <c>tether lab --quick</c> as CI runs it: every scenario for every contender, with Tether's promises asserted (other
/// contenders are printed, not judged); the user-space proxy mode; and an interrupted lab that must leave nothing
/// behind.
/// </summary>
[Collection(FunctionalSerial.Name)]
public sealed class LabTests(ITestOutputHelper output)
{
    private static readonly TimeSpan QuickLabLimit = TimeSpan.FromMinutes(8);

    [SkippableFact]
    public async Task Quick_lab_tether_detects_every_fault_within_the_bound_and_never_drops_a_healthy_peer()
    {
        RequireLab();
        var results = await RunLabAsync(QuickLabLimit, "--quick");
        var tether = results.Where(r => r.Contender == "tether").ToList();
        Assert.Equal(ScenarioCatalog.Create(quick: true).Select(s => s.Name), tether.Select(r => r.Scenario));
        Assert.All(results, r => Assert.Equal("netns", r.Mode));
        AssertTetherKeptItsPromise(results);
    }

    [Fact]
    public async Task Without_namespaces_the_proxy_mode_runs_the_same_scenarios_and_tether_keeps_its_promise()
    {
        string[] scenarios = ["--scenario", "crash", "--scenario", "blackhole-idle", "--scenario", "freeze-short", "--scenario", "nat-forget"];
        var results = await RunLabAsync(TimeSpan.FromMinutes(3), ["--quick", "--proxy", "--contender", "tether", .. scenarios]);
        Assert.Equal(5, results.Count);
        Assert.All(results, r => Assert.Equal("proxy", r.Mode));
        AssertTetherKeptItsPromise(results);
    }

    [SkippableFact]
    public async Task An_interrupted_lab_leaves_no_namespace_rule_or_process_behind()
    {
        RequireLab();

        // nat-idle holds its network (three namespaces, NAT rules, two peers) for a while: interrupt it mid-run.
        var info = ProcessRunner.CreateStartInfo(TetherCli.DotnetHost, TetherCli.Args("lab", "--quick", "--scenario", "nat-idle", "--contender", "tether", "--contender", "seed-2005"));
        await using var lab = new JsonLinesProcess(Process.Start(info)!, "tether lab");
        {
            var prefixes = await WaitForAsync(async () =>
            {
                var found = (await LabNamespacesAsync()).Select(ns => ns[..8]).Distinct().ToList();
                return found.Count == 2 && found.All(p => MarkedProcesses(p).Count == 2) ? found : null;
            });
            output.WriteLine($"interrupting the lab while it runs in {string.Join(", ", prefixes)}");

            lab.Signal(JsonLinesProcess.SigInt);
            var exitCode = await lab.WaitForExitAsync(TimeSpan.FromSeconds(20));
            output.WriteLine(lab.DescribeOutput());
            Assert.Equal(130, exitCode);

            var left = await LabNamespacesAsync();
            Assert.DoesNotContain(left, ns => prefixes.Any(p => ns.StartsWith(p, StringComparison.Ordinal)));
            Assert.All(prefixes, p => Assert.Empty(MarkedProcesses(p)));
        }
    }

    /// <summary>Runs <c>tether lab</c> with <paramref name="args"/>, prints its table, and returns its JSON results.</summary>
    private async Task<IReadOnlyList<LabResult>> RunLabAsync(TimeSpan limit, params string[] args)
    {
        var json = Path.Combine(Path.GetTempPath(), $"tether-lab-{Guid.NewGuid():N}.json");
        try
        {
            var started = Stopwatch.StartNew();
            var run = await ProcessRunner.RunAsync(TetherCli.DotnetHost, TetherCli.Args(["lab", .. args, "--json", json]), limit, check: false);
            output.WriteLine($"tether lab {string.Join(' ', args)}: exit code {run.ExitCode} after {started.Elapsed.TotalSeconds:0} s");
            output.WriteLine(run.Stdout);
            output.WriteLine(run.Stderr);
            Assert.True(run.Succeeded, run.Stderr);
            return LabJson.Deserialize(await File.ReadAllTextAsync(json));
        }
        finally
        {
            File.Delete(json);
        }
    }

    private static void AssertTetherKeptItsPromise(IReadOnlyList<LabResult> results)
    {
        var failures = LabVerdict.Failures(results);
        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));
    }

    private static void RequireLab()
    {
        Requirements.RequireNetnsLab("the fault lab");
        Requirements.RequireCommand("conntrack");
    }

    /// <summary>Namespaces the lab created (any run): their names start with its stem.</summary>
    private static async Task<List<string>> LabNamespacesAsync() =>
        (await ProcessRunner.RunAsync("ip", ["netns", "list"])).Stdout
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(' ')[0])
            .Where(ns => ns.StartsWith(LabEngine.NameStem, StringComparison.Ordinal) && ns.Length > 8)
            .ToList();

    /// <summary>PIDs of processes started in the lab whose namespaces are named <paramref name="prefix"/>-*.</summary>
    private static List<int> MarkedProcesses(string prefix)
    {
        var marker = Encoding.UTF8.GetBytes($"{NetnsLab.MarkerVariable}={prefix}\0");
        var pids = new List<int>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var pid))
            {
                continue;
            }

            try
            {
                if (File.ReadAllBytes(Path.Combine(directory, "environ")).AsSpan().IndexOf(marker) >= 0)
                {
                    pids.Add(pid);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Exited meanwhile.
            }
        }

        return pids;
    }

    private static async Task<T> WaitForAsync<T>(Func<Task<T?>> probe)
        where T : class
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(90))
        {
            if (await probe() is { } found)
            {
                return found;
            }

            await Task.Delay(200);
        }

        throw new TimeoutException("the lab did not bring its networks up within 90 s");
    }
}
