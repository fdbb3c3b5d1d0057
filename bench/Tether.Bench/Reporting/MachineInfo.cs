using System.Runtime.InteropServices;

namespace Tether.Bench.Reporting;

/// <summary>Where and when a result was measured, printed above every table and stored in the JSON.</summary>
internal sealed record MachineInfo(string Date, string Runtime, string Os, int Cores, string GcMode)
{
    public static MachineInfo Current { get; } = new(
        DateTime.UtcNow.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
        RuntimeInformation.FrameworkDescription,
        RuntimeInformation.OSDescription,
        Environment.ProcessorCount,
        System.Runtime.GCSettings.IsServerGC ? "server" : "workstation");

    public override string ToString() => $"{Date}, {Runtime}, {Os}, {Cores} cores, {GcMode} GC";
}
