using System.Diagnostics;
using System.Globalization;
using System.Net;
using Tether.Bench.Hosting;

namespace Tether.Bench.Idle;

/// <summary>The parent's handle on a <see cref="ListenerChild"/> process: starts it, sends commands, reads samples.</summary>
internal sealed class ListenerChildProcess : IAsyncDisposable
{
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(30);
    private readonly Process _process;

    private ListenerChildProcess(Process process, IReadOnlyList<IPEndPoint> endpoints)
    {
        _process = process;
        Endpoints = endpoints;
    }

    public IReadOnlyList<IPEndPoint> Endpoints { get; }

    public int ProcessId => _process.Id;

    public static async Task<ListenerChildProcess> StartAsync(IdleSettings settings)
    {
        var process = SelfProcess.Start([ListenerChild.CommandName, .. IdleCommand.FormatSettings(settings)]);
        var endpoints = (await SelfProcess.ExpectLineAsync(process, "listening ")).Split(' ').Select(IPEndPoint.Parse).ToList();
        return new ListenerChildProcess(process, endpoints);
    }

    /// <summary>Has the child drop its <paramref name="warmup"/> warm-up connections and sample its baseline.</summary>
    public Task<(int Open, MemorySample Sample)> ResetAsync(int warmup) => RequestAsync($"reset {warmup}");

    /// <summary>Has the child wait for <paramref name="connections"/> connections, let them settle and sample.</summary>
    public Task<(int Open, MemorySample Sample)> MeasureAsync(int connections) => RequestAsync($"measure {connections}");

    /// <summary>Has the child report its CPU, PINGs sent and disconnects over <paramref name="window"/>.</summary>
    public async Task<LivenessObservation> ObserveAsync(TimeSpan window)
    {
        var reply = await SelfProcess.RequestAsync(_process, string.Create(CultureInfo.InvariantCulture, $"observe {(long)window.TotalMilliseconds}"));
        return reply.StartsWith("observed ", StringComparison.Ordinal)
            ? LivenessObservation.Parse(reply["observed ".Length..])
            : throw new InvalidOperationException($"Unexpected reply from the listener child: '{reply}'.");
    }

    public async ValueTask DisposeAsync() => await SelfProcess.StopAsync(_process, ExitTimeout);

    private async Task<(int Open, MemorySample Sample)> RequestAsync(string command)
    {
        var reply = await SelfProcess.RequestAsync(_process, command);
        var parts = reply.Split(' ', 3);
        if (parts.Length != 3 || parts[0] != "sample")
        {
            throw new InvalidOperationException($"Unexpected reply from the listener child: '{reply}'.");
        }

        return (int.Parse(parts[1], CultureInfo.InvariantCulture), MemorySample.Parse(parts[2]));
    }
}
