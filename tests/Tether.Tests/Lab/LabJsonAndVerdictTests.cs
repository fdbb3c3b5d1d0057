using System.Text.Json.Nodes;
using Tether.Lab.Results;

namespace Tether.Tests.Lab;

public class LabJsonAndVerdictTests
{
    private static readonly LabResult Good = new("blackhole-idle", "tether", "netns", 4, new(3.1, 4.9), 0, null, null, 296, "client dead_peer, server dead_peer");

    [Fact]
    public void Json_has_exactly_the_issues_keys_with_nulls_written()
    {
        var json = LabJson.Serialize([Good with { Label = "ignored", Progress = [new(1, 2)] }]);
        var item = Assert.Single(JsonNode.Parse(json)!.AsArray())!.AsObject();
        Assert.Equal(
            ["scenario", "contender", "mode", "bound_s", "detected_s", "false_disconnects", "completed", "intact", "keepalive_bytes", "note"],
            item.Select(p => p.Key));
        Assert.Equal(["client", "server"], item["detected_s"]!.AsObject().Select(p => p.Key));
        Assert.Null(item["completed"]);
        Assert.True(item.ContainsKey("intact"));
        Assert.Equal(Good, LabJson.Deserialize(json).Single());
    }

    [Fact]
    public void Tether_passes_within_bound_plus_one_second()
    {
        Assert.Empty(LabVerdict.Failures([Good, Good with { Contender = "tcp", Detected = new(null, null) }]));
    }

    [Fact]
    public void Tether_fails_when_a_side_that_must_notice_is_late()
    {
        var failure = Assert.Single(LabVerdict.Failures([Good with { Detected = new(3.0, 5.01) }]));
        Assert.Contains("server noticed after 5.010 s", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void Tether_fails_when_a_side_that_must_notice_never_does_while_others_are_not_judged()
    {
        var failure = Assert.Single(LabVerdict.Failures([Good with { Detected = new(null, 3.0) }, Good with { Contender = "seed-2005", Detected = new(null, null) }]));
        Assert.Contains("client never noticed", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void Crash_needs_only_the_survivor()
    {
        Assert.Empty(LabVerdict.Failures([Good with { Scenario = "crash", Detected = new(0.1, null) }]));
    }

    [Fact]
    public void Healthy_runs_fail_on_any_false_disconnect_or_a_broken_transfer_and_errors_always_fail()
    {
        var upload = new LabResult("dialup-upload", "tether", "netns", 10, new(null, null), 0, true, true, null, "");
        Assert.Empty(LabVerdict.Failures([upload]));
        Assert.Single(LabVerdict.Failures([upload with { FalseDisconnects = 1 }]));
        Assert.Single(LabVerdict.Failures([upload with { Completed = false, Intact = null }]));
        Assert.Single(LabVerdict.Failures([upload with { Note = "lab error: TimeoutException: no listening" }]));
        Assert.Single(LabVerdict.Failures([upload with { Scenario = "meteor" }]));
    }
}
