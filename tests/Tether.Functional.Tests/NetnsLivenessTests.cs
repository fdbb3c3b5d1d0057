using System.Text.Json.Nodes;
using Tether.Functional.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Tether.Functional.Tests;

/// <summary>
/// Liveness with real kernel TCP between two network namespaces: slow links that must never be declared dead, and
/// black holes that must be detected within the bound on both sides. Needs root on Linux; under CI=true these run
/// and fail loudly if the lab cannot be built.
/// </summary>
[Collection(FunctionalSerial.Name)]
public sealed class NetnsLivenessTests(ITestOutputHelper output)
{
    private const int Port = 7100;
    private static readonly TimeSpan Startup = TimeSpan.FromSeconds(60);

    [SkippableFact]
    public async Task Upload_and_download_over_a_64kbit_link_complete_intact_without_a_disconnect()
    {
        Requirements.RequireNetnsLab("slow-link transfer test");
        await using var lab = await NetnsLab.CreateAsync();
        await lab.SetRateAsync(LabSide.Both, 64, TimeSpan.FromSeconds(1));

        // Physics first: the longest silence a plain TCP transfer shows on this very link.
        var baseline = await MeasurePlainTcpSilenceAsync(lab, 200_000);
        output.WriteLine($"plain TCP, 200 KB over 64 kbit/s (1 s tbf queue): longest inbound silence {baseline:0.000} s");

        var endpoint = $"{lab.AddressB}:{Port}";
        var liveness = new[] { "--keepalive", "1s", "--dead-timeout", "10s" };
        var listener = lab.StartJsonLines(LabSide.B, TetherCli.DotnetHost, TetherCli.Args(["peer", "listen", "--endpoint", endpoint, .. liveness]));
        await listener.WaitForEventAsync("listening", Startup);
        var started = JsonLinesProcess.Now;
        var connector = lab.StartJsonLines(LabSide.A, TetherCli.DotnetHost, TetherCli.Args(["peer", "connect", "--endpoint", endpoint, .. liveness, "--upload", "800KB", "--download", "800KB", "--hold", "1s"]));
        var exit = await connector.WaitForExitAsync(TimeSpan.FromMinutes(5));
        var elapsed = JsonLinesProcess.Now - started;
        output.WriteLine($"Tether upload + download of 800 KB each: {elapsed:0.0} s, exit code {exit}");
        output.WriteLine(connector.Stdout);

        Assert.True(exit == 0, $"connector exit code {exit}\n{connector.DescribeOutput()}\n{listener.DescribeOutput()}");
        Assert.True(elapsed >= 100, $"the transfer took {elapsed:0.0} s, less than ten dead timeouts: the link is not slow enough to prove anything");

        var upload = Completed(connector, "upload");
        var download = Completed(connector, "download");
        Assert.Equal(819_200, upload["bytes"]!.GetValue<long>());
        Assert.Equal(819_200, download["bytes"]!.GetValue<long>());
        Assert.Equal(upload["sha256"]!.GetValue<string>(), Completed(listener, "upload")["sha256"]!.GetValue<string>());
        Assert.Equal(download["sha256"]!.GetValue<string>(), (await listener.WaitForEventAsync("completed", TimeSpan.FromSeconds(10), e => Direction(e) == "download"))["sha256"]!.GetValue<string>());

        // The only disconnect is the orderly one at the end.
        var ends = connector.Events.Where(e => JsonLinesProcess.EventNameOf(e) == "disconnected").ToList();
        Assert.Equal("local_close", Assert.Single(ends)["reason"]!.GetValue<string>());
        var listenerEnd = await listener.WaitForEventAsync("disconnected", TimeSpan.FromSeconds(15));
        Assert.Equal("peer_closed", listenerEnd["reason"]!.GetValue<string>());
    }

    [SkippableFact]
    public async Task A_black_hole_while_idle_is_reported_as_dead_peer_by_both_sides_within_the_bound()
    {
        Requirements.RequireNetnsLab("black-hole test");
        await using var lab = await NetnsLab.CreateAsync();
        var (listener, connector) = await ConnectAsync(lab, deadTimeout: 3, extra: []);
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        await AssertBlackholeDetectedAsync(lab, listener, connector, deadTimeout: 3);
    }

    [SkippableFact]
    public async Task A_black_hole_during_an_upload_is_reported_as_dead_peer_by_both_sides_within_the_bound()
    {
        Requirements.RequireNetnsLab("black-hole test");
        await using var lab = await NetnsLab.CreateAsync();
        await lab.SetRateAsync(LabSide.Both, 1000, TimeSpan.FromMilliseconds(500));
        var (listener, connector) = await ConnectAsync(lab, deadTimeout: 4, extra: ["--upload", "8MB"]);

        // Wait until bulk data is flowing (the listener reports progress at most once a second).
        await listener.WaitForEventAsync("progress", TimeSpan.FromSeconds(30), e => e["bytes"]?.GetValue<long>() > 200_000);
        await AssertBlackholeDetectedAsync(lab, listener, connector, deadTimeout: 4);
        Assert.DoesNotContain(connector.Events, e => JsonLinesProcess.EventNameOf(e) == "completed");
    }

    private static async Task<(JsonLinesProcess Listener, JsonLinesProcess Connector)> ConnectAsync(NetnsLab lab, int deadTimeout, string[] extra)
    {
        var endpoint = $"{lab.AddressB}:{Port}";
        var liveness = new[] { "--keepalive", "1s", "--dead-timeout", $"{deadTimeout}s" };
        var listener = lab.StartJsonLines(LabSide.B, TetherCli.DotnetHost, TetherCli.Args(["peer", "listen", "--endpoint", endpoint, .. liveness]));
        await listener.WaitForEventAsync("listening", Startup);
        var connector = lab.StartJsonLines(LabSide.A, TetherCli.DotnetHost, TetherCli.Args(["peer", "connect", "--endpoint", endpoint, .. liveness, .. extra, "--hold", "300s"]));
        await connector.WaitForEventAsync("connected", Startup);
        await listener.WaitForEventAsync("connected", Startup);
        return (listener, connector);
    }

    private async Task AssertBlackholeDetectedAsync(NetnsLab lab, JsonLinesProcess listener, JsonLinesProcess connector, double deadTimeout)
    {
        var fault = JsonLinesProcess.Now;
        await lab.BlackholeAsync();
        var bound = TimeSpan.FromSeconds(deadTimeout + 10);
        var connectorEnd = await connector.WaitForEventAsync("disconnected", bound);
        var listenerEnd = await listener.WaitForEventAsync("disconnected", bound);
        var connectorAfter = JsonLinesProcess.ArrivalOf(connectorEnd) - fault;
        var listenerAfter = JsonLinesProcess.ArrivalOf(listenerEnd) - fault;
        output.WriteLine($"black hole (dead timeout {deadTimeout} s): connector detected after {connectorAfter:0.000} s, listener after {listenerAfter:0.000} s");
        output.WriteLine(connectorEnd.ToJsonString());
        output.WriteLine(listenerEnd.ToJsonString());

        Assert.Equal("dead_peer", connectorEnd["reason"]!.GetValue<string>());
        Assert.Equal("dead_peer", listenerEnd["reason"]!.GetValue<string>());
        Assert.True(connectorAfter <= deadTimeout + 1, $"connector detected after {connectorAfter:0.000} s");
        Assert.True(listenerAfter <= deadTimeout + 1, $"listener detected after {listenerAfter:0.000} s");
        Assert.Equal(3, await connector.WaitForExitAsync(TimeSpan.FromSeconds(10)));
    }

    private static async Task<double> MeasurePlainTcpSilenceAsync(NetnsLab lab, int bytes)
    {
        var script = Path.Combine(AppContext.BaseDirectory, "Scripts", "plain_tcp_silence.py");
        var server = lab.StartJsonLines(LabSide.B, "python3", [script, "server", lab.AddressB.ToString(), $"{Port + 1}"]);
        await server.WaitForEventAsync("listening", Startup);
        await lab.RunInNamespaceAsync(lab.NamespaceA, "python3", [script, "client", lab.AddressB.ToString(), $"{Port + 1}", $"{bytes}"], TimeSpan.FromMinutes(3));
        var done = await server.WaitForEventAsync("done", TimeSpan.FromMinutes(1));
        Assert.Equal(bytes, done["bytes"]!.GetValue<long>());
        return done["longest_silence_s"]!.GetValue<double>();
    }

    private static JsonObject Completed(JsonLinesProcess process, string direction) =>
        process.Events.Single(e => JsonLinesProcess.EventNameOf(e) == "completed" && Direction(e) == direction);

    private static string? Direction(JsonObject e) => e["direction"]?.GetValue<string>();
}
