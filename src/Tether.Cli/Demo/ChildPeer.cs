using System.Diagnostics;
using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace Tether.Cli.Demo;

/// <summary>A <c>tether peer</c> child process whose JSON lines are read as they come.</summary>
internal sealed class ChildPeer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Channel<JsonObject> _events = Channel.CreateUnbounded<JsonObject>();
    private readonly Task _pump;

    private ChildPeer(Process process)
    {
        _process = process;
        _pump = Task.Run(PumpAsync);
    }

    /// <summary>Starts this same tool with <paramref name="args"/> (stderr passes through).</summary>
    public static ChildPeer Start(params string[] args)
    {
        var info = new ProcessStartInfo(Environment.ProcessPath ?? "dotnet") { RedirectStandardOutput = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(info.FileName) == "dotnet")
        {
            info.ArgumentList.Add(typeof(ChildPeer).Assembly.Location);
        }

        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        return new ChildPeer(Process.Start(info) ?? throw new InvalidOperationException("could not start a child process"));
    }

    /// <summary>Waits for the next event named <paramref name="name"/>, skipping others.</summary>
    public async Task<JsonObject> WaitForAsync(string name, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            while (true)
            {
                var line = await _events.Reader.ReadAsync(cts.Token);
                if (line["event"]?.GetValue<string>() == name)
                {
                    return line;
                }
            }
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"no '{name}' event within {timeout.TotalSeconds:0} s");
        }
        catch (ChannelClosedException)
        {
            throw new InvalidOperationException($"the peer process exited before a '{name}' event");
        }
    }

    /// <summary>Sends a signal by name (STOP, CONT) with kill(1) (Linux/macOS).</summary>
    public void Signal(string name)
    {
        using var kill = Process.Start("kill", ["-" + name, _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            Signal("CONT"); // in case it is stopped
            _process.Kill(entireProcessTree: true);
        }

        await _process.WaitForExitAsync();
        await _pump;
        _process.Dispose();
    }

    private async Task PumpAsync()
    {
        while (await _process.StandardOutput.ReadLineAsync() is { } line)
        {
            if (line.StartsWith('{') && JsonNode.Parse(line) is JsonObject parsed)
            {
                _events.Writer.TryWrite(parsed);
            }
        }

        _events.Writer.TryComplete();
    }
}
