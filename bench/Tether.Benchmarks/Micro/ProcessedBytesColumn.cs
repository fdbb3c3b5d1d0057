using System.Reflection;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Tether.Benchmarks.Micro;

/// <summary>Summary columns derived from <see cref="ProcessedBytesAttribute"/>: bytes per operation and GB/s (10^9 B/s).</summary>
internal sealed class ProcessedBytesColumn : IColumn
{
    public static readonly IColumn BytesPerOperation = new ProcessedBytesColumn(
        "Bytes/op", "Bytes processed per operation", (bytes, _) => bytes.ToString("N0", System.Globalization.CultureInfo.InvariantCulture));

    public static readonly IColumn Throughput = new ProcessedBytesColumn(
        "GB/s", "Throughput: bytes per operation / mean time (10^9 bytes per second)", (bytes, meanNs) => Tether.Bench.Reporting.Units.Fixed(bytes / meanNs));

    private readonly Func<long, double, string> _format;

    private ProcessedBytesColumn(string name, string legend, Func<long, double, string> format)
    {
        ColumnName = name;
        Legend = legend;
        _format = format;
    }

    public string Id => nameof(ProcessedBytesColumn) + "." + ColumnName;

    public string ColumnName { get; }

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Custom;

    public int PriorityInCategory => 0;

    public bool IsNumeric => true;

    public UnitType UnitType => UnitType.Dimensionless;

    public string Legend { get; }

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, summary.Style);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        var bytes = benchmarkCase.Descriptor.WorkloadMethod.GetCustomAttribute<ProcessedBytesAttribute>()?.Bytes;
        var mean = summary[benchmarkCase]?.ResultStatistics?.Mean;
        return bytes is { } b && mean is { } ns ? _format(b, ns) : "-";
    }

    public bool IsAvailable(Summary summary) => true;

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
}
