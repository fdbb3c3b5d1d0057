using System.Text.Json.Nodes;
using Tether.Lab.Netns;
using Tether.Lab.Results;
using Tether.Lab.Scenarios;

namespace Tether.Tests.Lab;

public class ResultEvaluatorTests
{
    private static readonly LabScenario Blackhole = ScenarioCatalog.Create(quick: true).Single(s => s.Name == "blackhole-idle");
    private static readonly LabScenario Upload = ScenarioCatalog.Create(quick: true).Single(s => s.Name == "dialup-upload");

    [Fact]
    public void Detection_is_measured_from_the_fault_on_each_side()
    {
        var run = Run(
            client: [Event(10, "connected"), Disconnected(24.5, "dead_peer")],
            server: [Event(10, "connected"), Disconnected(23.75, "dead_peer")],
            faultAt: 20);
        var result = ResultEvaluator.Evaluate(Blackhole, "tether", hasBound: true, "netns", run);
        Assert.Equal(new DetectedSeconds(4.5, 3.75), result.Detected);
        Assert.Equal(0, result.FalseDisconnects);
        Assert.Equal(4, result.BoundSeconds);
        Assert.Null(result.Completed);
        Assert.Equal(120, result.KeepaliveBytes);
        Assert.Contains("client dead_peer, server dead_peer", result.Note, StringComparison.Ordinal);
    }

    [Fact]
    public void A_side_that_never_noticed_is_null_and_a_disconnect_before_the_fault_is_false()
    {
        var run = Run(client: [Disconnected(15, "dead_peer")], server: [], faultAt: 20);
        var result = ResultEvaluator.Evaluate(Blackhole, "seed-2005", hasBound: false, "netns", run);
        Assert.Equal(new DetectedSeconds(null, null), result.Detected);
        Assert.Equal(1, result.FalseDisconnects);
        Assert.Null(result.BoundSeconds);
    }

    [Fact]
    public void A_healthy_run_ending_in_order_has_no_false_disconnect_and_reports_the_transfer()
    {
        var run = Run(
            client: [Event(11, "progress", bytes: 5000), Completed(40, "upload", intact: null), Disconnected(41, "local_close")],
            server: [Event(11, "progress", bytes: 1000), Completed(40, "upload", intact: null, silence: 2.5), Disconnected(41.01, "peer_closed")],
            faultAt: null);
        var result = ResultEvaluator.Evaluate(Upload, "tether", hasBound: true, "netns", run);
        Assert.Equal(0, result.FalseDisconnects);
        Assert.True(result.Completed);
        Assert.True(result.Intact);
        Assert.Null(result.KeepaliveBytes);
        Assert.Contains("longest inbound silence 2.5 s", result.Note, StringComparison.Ordinal);
        Assert.Equal([new ProgressSample(1, 1000), new ProgressSample(30, Upload.Upload!.Value)], result.Progress);
    }

    [Fact]
    public void A_healthy_run_cut_by_either_side_counts_both_ends_as_false()
    {
        var run = Run(
            client: [Disconnected(21, "peer_closed")],
            server: [Disconnected(20.9, "dead_peer")],
            faultAt: null);
        var result = ResultEvaluator.Evaluate(Upload, "seed-2005", hasBound: true, "netns", run);
        Assert.Equal(2, result.FalseDisconnects);
        Assert.False(result.Completed);
        Assert.Null(result.Intact);
        Assert.Equal([11.0, 10.9], result.Disconnects);
    }

    [Fact]
    public void A_corrupt_transfer_is_completed_but_not_intact()
    {
        var run = Run(client: [Completed(40, "upload", intact: false), Disconnected(41, "local_close")], server: [], faultAt: null);
        var result = ResultEvaluator.Evaluate(Upload, "tcp", hasBound: false, "netns", run);
        Assert.True(result.Completed);
        Assert.False(result.Intact);
    }

    private static RunObservation Run(JsonObject[] client, JsonObject[] server, double? faultAt) =>
        new(client, server, ConnectedAt: 10, faultAt, KeepaliveBytes: 120, Remarks: []);

    private static JsonObject Event(double arrival, string name, long? bytes = null)
    {
        var e = new JsonObject { ["event"] = name, [JsonLinesProcess.ArrivalKey] = arrival };
        if (bytes is { } b)
        {
            e["bytes"] = b;
        }

        return e;
    }

    private static JsonObject Disconnected(double arrival, string reason)
    {
        var e = Event(arrival, "disconnected");
        e["reason"] = reason;
        return e;
    }

    private static JsonObject Completed(double arrival, string direction, bool? intact, double? silence = null)
    {
        var e = Event(arrival, "completed", Upload.Upload);
        e["direction"] = direction;
        if (intact is { } i)
        {
            e["intact"] = i;
        }

        if (silence is { } s)
        {
            e["longest_silence_s"] = s;
        }

        return e;
    }
}
