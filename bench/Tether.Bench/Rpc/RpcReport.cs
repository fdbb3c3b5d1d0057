using Tether.Bench.Reporting;

namespace Tether.Bench.Rpc;

/// <summary>The rpc results as a markdown table, with Tether's ratio to each other contender.</summary>
internal static class RpcReport
{
    public static string Format(IReadOnlyList<RpcResult> results)
    {
        var table = new MarkdownTable("workload", "outstanding", "contender", "ops/s", "tether ×", "p50 µs", "p99 µs",
            "client B/op", "server B/op", "client CPU µs/op", "server CPU µs/op", "gen0");
        foreach (var r in results)
        {
            var tether = results.First(t => t.Contender == "tether" && t.Workload == r.Workload && t.Outstanding == r.Outstanding);
            table.Add(r.Workload, r.Outstanding.ToString(System.Globalization.CultureInfo.InvariantCulture), r.Contender,
                Units.Count((long)r.OpsPerSecond),
                r.Contender == "tether" ? "" : Units.Fixed(tether.OpsPerSecond / r.OpsPerSecond),
                Optional(r.P50Microseconds), Optional(r.P99Microseconds),
                Units.Fixed(r.Cost.ClientBytesPerOp, 0), Units.Fixed(r.Cost.ServerBytesPerOp, 0),
                Units.Fixed(r.Cost.ClientCpuMicrosPerOp, 1), Units.Fixed(r.Cost.ServerCpuMicrosPerOp, 1),
                Units.Count(r.Cost.Gen0));
        }

        return table.ToString();
    }

    private static string Optional(double? value) => value is { } v ? Units.Fixed(v, 1) : "-";
}
