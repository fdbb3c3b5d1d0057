using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using Tether.Diagnostics;

namespace Tether.Bench.Idle;

/// <summary>
/// What a process holding idle connections spent over a window: CPU time (all of the process: with nothing else to do
/// it is the liveness work — ticks, PINGs, PONGs — plus the runtime's own), PINGs sent and disconnects, counted from
/// the <c>Tether</c> meter.
/// </summary>
internal sealed record LivenessObservation(TimeSpan Window, TimeSpan Cpu, long PingsSent, long Disconnects)
{
    /// <summary>CPU as a percentage of one core.</summary>
    public double CpuPercentOfOneCore => 100 * Cpu.TotalSeconds / Window.TotalSeconds;

    public string Format() => string.Create(CultureInfo.InvariantCulture, $"{Window.Ticks} {Cpu.Ticks} {PingsSent} {Disconnects}");

    public static LivenessObservation Parse(string text)
    {
        var p = text.Split(' ').Select(s => long.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        return new LivenessObservation(TimeSpan.FromTicks(p[0]), TimeSpan.FromTicks(p[1]), p[2], p[3]);
    }
}

/// <summary>Counts the <c>Tether</c> meter's PINGs sent and disconnects in this process from the moment it is made.</summary>
internal sealed class LivenessCounters : IDisposable
{
    private readonly MeterListener _listener = new();
    private long _pings;
    private long _disconnects;

    public LivenessCounters()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == TetherMetrics.MeterName && instrument.Name is "tether.pings.sent" or "tether.disconnects")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, _, _) =>
        {
            if (instrument.Name == "tether.pings.sent")
            {
                Interlocked.Add(ref _pings, value);
            }
            else
            {
                Interlocked.Add(ref _disconnects, value);
            }
        });
        _listener.Start();
    }

    /// <summary>Waits <paramref name="window"/> and reports what this process spent in it.</summary>
    public async Task<LivenessObservation> ObserveAsync(TimeSpan window)
    {
        var (pings, disconnects, cpu) = (Interlocked.Read(ref _pings), Interlocked.Read(ref _disconnects), ProcessCpu());
        var started = Stopwatch.GetTimestamp();
        await Task.Delay(window);
        return new LivenessObservation(Stopwatch.GetElapsedTime(started), ProcessCpu() - cpu,
            Interlocked.Read(ref _pings) - pings, Interlocked.Read(ref _disconnects) - disconnects);
    }

    public void Dispose() => _listener.Dispose();

    private static TimeSpan ProcessCpu()
    {
        using var process = Process.GetCurrentProcess();
        return process.TotalProcessorTime;
    }
}
