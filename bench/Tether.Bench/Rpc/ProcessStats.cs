using System.Diagnostics;
using System.Globalization;

namespace Tether.Bench.Rpc;

/// <summary>What a process has used so far: bytes allocated on the managed heap, CPU time, and GC counts.</summary>
internal readonly record struct ProcessStats(long AllocatedBytes, TimeSpan Cpu, int Gen0, int Gen1, int Gen2)
{
    /// <summary>This process, now.</summary>
    public static ProcessStats Take()
    {
        using var process = Process.GetCurrentProcess();
        return new ProcessStats(GC.GetTotalAllocatedBytes(precise: true), process.TotalProcessorTime,
            GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2));
    }

    /// <summary>The change from <paramref name="before"/> to this sample.</summary>
    public ProcessStats Since(ProcessStats before) => new(AllocatedBytes - before.AllocatedBytes, Cpu - before.Cpu,
        Gen0 - before.Gen0, Gen1 - before.Gen1, Gen2 - before.Gen2);

    /// <summary>The one-line form passed from a server child to the parent.</summary>
    public string Format() => string.Create(CultureInfo.InvariantCulture, $"{AllocatedBytes} {Cpu.Ticks} {Gen0} {Gen1} {Gen2}");

    /// <summary>Parses <see cref="Format"/>.</summary>
    public static ProcessStats Parse(string text)
    {
        var p = text.Split(' ').Select(s => long.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        return new ProcessStats(p[0], TimeSpan.FromTicks(p[1]), (int)p[2], (int)p[3], (int)p[4]);
    }
}
