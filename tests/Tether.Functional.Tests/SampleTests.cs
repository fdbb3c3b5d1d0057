using System.Diagnostics;
using Tether.Functional.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Tether.Functional.Tests;

/// <summary>The README's main demonstration runs to the end and shows what it claims: real processes, killed and frozen.</summary>
[Collection(FunctionalSerial.Name)]
public sealed class SampleTests(ITestOutputHelper output)
{
    [SkippableFact]
    public async Task BuildFarmDemoBuildsUploadsAndReportsLostWorkersWithTheirReason()
    {
        Requirements.RequireLinux("the build farm demo (it freezes a worker with SIGSTOP)");
        var info = new ProcessStartInfo(TetherCli.DotnetHost) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "BuildFarm.dll"));
        using var demo = Process.Start(info)!;
        var stdout = demo.StandardOutput.ReadToEndAsync();
        var stderr = demo.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await demo.WaitForExitAsync(timeout.Token);
        var text = await stdout;
        output.WriteLine(text);
        output.WriteLine(await stderr);
        Assert.Equal(0, demo.ExitCode);
        foreach (var worker in new[] { "worker-1", "worker-2", "worker-3" })
        {
            Assert.Contains($"master: {worker} registered a builder", text, StringComparison.Ordinal);
            Assert.Contains($"[{worker}] make test: finished", text, StringComparison.Ordinal);
            Assert.Contains($"master: {worker} uploaded {worker}-make test.tar: 8.0 MiB, intact", text, StringComparison.Ordinal);
        }

        Assert.Matches("master: worker-3 is gone: (peer_closed|peer_reset)", text);
        Assert.Contains("master: worker-2 is gone: dead_peer", text, StringComparison.Ordinal);
        Assert.Contains("master: worker-2 is back", text, StringComparison.Ordinal);
        Assert.DoesNotContain("CORRUPT", text, StringComparison.Ordinal);
    }
}
