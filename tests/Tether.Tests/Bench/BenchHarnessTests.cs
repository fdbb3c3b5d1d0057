using System.Diagnostics;
using System.Text.Json;
using Tether.Bench.Cli;
using Tether.Bench.Rpc;
using Xunit;

namespace Tether.Tests.Bench;

/// <summary>The parts of the benchmark harness whose mistakes would go unnoticed in a benchmark's output.</summary>
public sealed class BenchHarnessTests
{
    [Fact]
    public void Histogram_percentiles_are_within_the_bucket_error()
    {
        var histogram = new LatencyHistogram();
        var microsecond = Stopwatch.Frequency / 1_000_000.0;
        for (var us = 1; us <= 10_000; us++)
        {
            histogram.Record((long)(us * microsecond));
        }

        Assert.InRange(histogram.PercentileMicroseconds(0.50), 5_000 * 0.968, 5_000 * 1.001);
        Assert.InRange(histogram.PercentileMicroseconds(0.99), 9_900 * 0.968, 9_900 * 1.001);
        Assert.Equal(0, new LatencyHistogram().PercentileMicroseconds(0.5));
    }

    [Fact]
    public void Rpc_rows_serialize_with_exactly_the_keys_of_issue_6()
    {
        var row = new RpcResult("tether", "unary_small", 16, 1.5, 2.5, 3.5, "defaults", new RpcCost(1, 2, 3, 4, 5));
        using var json = JsonDocument.Parse(JsonSerializer.Serialize(row));
        Assert.Equal(
            ["contender", "workload", "outstanding", "ops_per_s", "p50_us", "p99_us", "config"],
            json.RootElement.EnumerateObject().Select(p => p.Name).ToArray());
    }

    [Theory]
    [InlineData("250ms", 0.25)]
    [InlineData("3s", 3)]
    [InlineData("2m", 120)]
    [InlineData("1.5", 1.5)]
    public void Durations_take_a_unit_or_plain_seconds(string text, double seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), BenchArguments.Parse(["--duration", text], "--duration").GetDuration("--duration", TimeSpan.Zero));

    [Fact]
    public void A_bad_duration_is_a_usage_error() =>
        Assert.Throws<UsageException>(() => BenchArguments.Parse(["--duration", "soon"], "--duration").GetDuration("--duration", TimeSpan.Zero));
}
