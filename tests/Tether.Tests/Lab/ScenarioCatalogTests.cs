using Tether.Lab.Scenarios;

namespace Tether.Tests.Lab;

public class ScenarioCatalogTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Every_named_scenario_exists_and_nat_forget_runs_with_a_reset_and_silently(bool quick)
    {
        var scenarios = ScenarioCatalog.Create(quick);
        Assert.Equal(ScenarioCatalog.Names, scenarios.Select(s => s.Name).Distinct());
        Assert.Equal(["nat-forget (rst)", "nat-forget (drop)"], scenarios.Where(s => s.Name == "nat-forget").Select(s => s.Label));
    }

    [Fact]
    public void Quick_scales_the_fault_scenarios_down_but_never_the_dialup_bound()
    {
        var full = ScenarioCatalog.Create(quick: false).ToDictionary(s => s.Label);
        var quick = ScenarioCatalog.Create(quick: true).ToDictionary(s => s.Label);
        Assert.True(quick["blackhole-idle"].Bound < full["blackhole-idle"].Bound);
        Assert.True(quick["nat-idle"].Delay < full["nat-idle"].Delay);
        foreach (var name in new[] { "dialup-upload", "dialup-download" })
        {
            Assert.Equal(ScenarioCatalog.DialupBound, quick[name].Bound);
            Assert.Equal(full[name].Bound, quick[name].Bound);
            Assert.True(quick[name].HasTransfers && quick[name].IsHealthy);

            // The point of the scenario: the transfer takes far longer than the bound.
            var seconds = (quick[name].Upload ?? quick[name].Download)!.Value * 8.0 / (ScenarioCatalog.DialupLink.KbitPerSecond * 1000);
            Assert.True(seconds > 2 * quick[name].Bound.TotalSeconds, $"{name}: {seconds:0} s of transfer");
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Fault_scenarios_watch_long_enough_and_healthy_ones_have_a_deadline(bool quick)
    {
        foreach (var s in ScenarioCatalog.Create(quick))
        {
            Assert.True(s.Keepalive < s.Bound, s.Label);
            if (s.IsHealthy)
            {
                Assert.NotNull(s.Hold);
                Assert.True(s.Deadline > s.Delay + s.Bound, s.Label);
            }
            else
            {
                Assert.Null(s.Hold);
                Assert.True(s.Observe >= 2 * s.Bound, s.Label);
                Assert.NotEqual(LabFault.None, s.Fault);
            }
        }
    }

    [Fact]
    public void The_nat_idle_mapping_expires_well_within_the_idle_period_but_not_within_a_keepalive()
    {
        foreach (var quick in new[] { false, true })
        {
            var natIdle = ScenarioCatalog.Create(quick).Single(s => s.Name == "nat-idle");
            Assert.NotNull(natIdle.Router);
            Assert.True(natIdle.Router.EstablishedTimeout * 2 <= natIdle.Delay);
            Assert.True(natIdle.Router.EstablishedTimeout > natIdle.Keepalive);
        }
    }

    [Fact]
    public void Select_keeps_catalogue_order_and_rejects_unknown_names()
    {
        Assert.Equal(["crash", "dialup-upload"], ScenarioCatalog.Select(true, ["dialup-upload", "crash"]).Select(s => s.Name));
        Assert.Equal(ScenarioCatalog.Create(true).Count, ScenarioCatalog.Select(true, []).Count);
        var error = Assert.Throws<ArgumentException>(() => ScenarioCatalog.Select(true, ["crash", "meteor"]));
        Assert.Contains("meteor", error.Message, StringComparison.Ordinal);
    }
}
