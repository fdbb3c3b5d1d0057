using System.Diagnostics;
using System.Globalization;
using System.Net;

namespace Tether.Benchmarks.Idle;

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
        var start = new ProcessStartInfo
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };

        // Run this same program: its apphost directly, or "dotnet Tether.Benchmarks.dll" when started that way.
        var self = Environment.ProcessPath ?? throw new InvalidOperationException("Cannot tell which executable to start.");
        start.FileName = self;
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            start.ArgumentList.Add(typeof(ListenerChild).Assembly.Location);
        }

        start.ArgumentList.Add(ListenerChild.CommandName);
        foreach (var argument in IdleCommand.FormatSettings(settings))
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {self}.");
        var ready = await process.StandardOutput.ReadLineAsync();
        if (ready is null || !ready.StartsWith("listening ", StringComparison.Ordinal))
        {
            process.Kill();
            throw new InvalidOperationException($"The listener child did not start (it said: '{ready}').");
        }

        var endpoints = ready["listening ".Length..].Split(' ').Select(IPEndPoint.Parse).ToList();
        return new ListenerChildProcess(process, endpoints);
    }

    /// <summary>Has the child drop its <paramref name="warmup"/> warm-up connections and sample its baseline.</summary>
    public Task<(int Open, MemorySample Sample)> ResetAsync(int warmup) => RequestAsync($"reset {warmup}");

    /// <summary>Has the child wait for <paramref name="connections"/> connections, let them settle and sample.</summary>
    public Task<(int Open, MemorySample Sample)> MeasureAsync(int connections) => RequestAsync($"measure {connections}");

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _process.StandardInput.WriteLineAsync("exit");
            await _process.StandardInput.FlushAsync();
            using var timeout = new CancellationTokenSource(ExitTimeout);
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.Dispose();
    }

    private async Task<(int Open, MemorySample Sample)> RequestAsync(string command)
    {
        await _process.StandardInput.WriteLineAsync(command);
        await _process.StandardInput.FlushAsync();
        var reply = await _process.StandardOutput.ReadLineAsync()
            ?? throw new InvalidOperationException($"The listener child exited while answering '{command}'.");
        var parts = reply.Split(' ', 3);
        if (parts.Length != 3 || parts[0] != "sample")
        {
            throw new InvalidOperationException($"Unexpected reply from the listener child: '{reply}'.");
        }

        return (int.Parse(parts[1], CultureInfo.InvariantCulture), MemorySample.Parse(parts[2]));
    }
}
