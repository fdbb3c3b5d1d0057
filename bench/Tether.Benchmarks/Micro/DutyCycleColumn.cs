using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Tether.Benchmarks.Micro;

/// <summary>The share of one core an operation costs when it runs once every <c>period</c> (mean time / period).</summary>
internal sealed class DutyCycleColumn(TimeSpan period) : IColumn
{
    public string Id => $"{nameof(DutyCycleColumn)}.{period.Ticks}";

    public string ColumnName => $"Core @ 1/{period.TotalMilliseconds:0} ms";

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Custom;

    public int PriorityInCategory => 0;

    public bool IsNumeric => true;

    public UnitType UnitType => UnitType.Dimensionless;

    public string Legend => $"Percent of one core spent when the operation runs once every {period.TotalMilliseconds:0} ms";

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, summary.Style);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style) =>
        summary[benchmarkCase]?.ResultStatistics?.Mean is { } ns
            ? Tether.Bench.Reporting.Units.Fixed(100 * ns / (period.TotalMilliseconds * 1e6), 3) + " %"
            : "-";

    public bool IsAvailable(Summary summary) => true;

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
}
