using System.ComponentModel;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Tether.Lab.Netns;

/// <summary>
/// Wraps a started process whose stdout is JSON lines (one object per line, each with
/// "t" (seconds, float) and "event" (string)). Stdout and stderr are read in the background
/// from construction on; JSON objects are collected as events, every stdout line (JSON or
/// not) is kept in <see cref="Stdout"/>. Disposing kills the process tree.
/// </summary>
public sealed class JsonLinesProcess : IAsyncDisposable, IDisposable
{
    public const int SigInt = 2;
    public const int SigKill = 9;
    public const int SigTerm = 15;
    public const int SigCont = 18;
    public const int SigStop = 19;

    /// <summary>Member added to every parsed line: when this process read it, on the <see cref="Now"/> clock.</summary>
    public const string ArrivalKey = "_arrival_s";

    private static readonly TimeSpan DrainWait = TimeSpan.FromSeconds(5);
    private static readonly Stopwatch Clock = Stopwatch.StartNew();

    /// <summary>Seconds on this test process's clock, comparable with <see cref="ArrivalOf"/> across child processes.</summary>
    public static double Now => Clock.Elapsed.TotalSeconds;

    /// <summary>When this test process read the line (seconds on the <see cref="Now"/> clock).</summary>
    public static double ArrivalOf(JsonObject line)
    {
        ArgumentNullException.ThrowIfNull(line);
        return line[ArrivalKey]!.GetValue<double>();
    }

    private readonly Process _process;
    private readonly Lock _gate = new();
    private readonly List<JsonObject> _events = [];
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly Task _stdoutPump;
    private readonly Task _stderrPump;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _stdoutClosed;
    private int _disposed;

    /// <param name="process">A started process with redirected stdout and stderr that nobody reads yet.</param>
    /// <param name="name">How to call it in messages; defaults to the executable name.</param>
    public JsonLinesProcess(Process process, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(process);
        _process = process;
        Name = name ?? process.StartInfo.FileName;
        Id = process.Id;
        _stdoutPump = Task.Run(() => PumpStdoutAsync(process.StandardOutput));
        _stderrPump = Task.Run(() => PumpStderrAsync(process.StandardError));
    }

    public string Name { get; }

    /// <summary>The PID (for <c>ip netns exec</c> the program's own PID, as ip execs it).</summary>
    public int Id { get; }

    public Process Process => _process;

    /// <summary>Stdin of the process, for programs driven by commands.</summary>
    public StreamWriter StandardInput => _process.StandardInput;

    public bool HasExited
    {
        get
        {
            try
            {
                return _process.HasExited;
            }
            catch (InvalidOperationException)
            {
                return true;
            }
        }
    }

    /// <summary>A snapshot of the JSON objects received so far, in order.</summary>
    public IReadOnlyList<JsonObject> Events
    {
        get
        {
            lock (_gate)
            {
                return _events.ToArray();
            }
        }
    }

    /// <summary>Everything read from stdout so far, JSON or not.</summary>
    public string Stdout
    {
        get
        {
            lock (_gate)
            {
                return _stdout.ToString();
            }
        }
    }

    /// <summary>Everything read from stderr so far.</summary>
    public string Stderr
    {
        get
        {
            lock (_gate)
            {
                return _stderr.ToString();
            }
        }
    }

    /// <summary>The "event" member of a JSON line, or null.</summary>
    public static string? EventNameOf(JsonObject line)
    {
        ArgumentNullException.ThrowIfNull(line);
        return line.TryGetPropertyValue("event", out var node) && node is JsonValue value && value.TryGetValue<string>(out var name)
            ? name
            : null;
    }

    /// <summary>The "t" member of a JSON line (seconds), or NaN.</summary>
    public static double TimeOf(JsonObject line)
    {
        ArgumentNullException.ThrowIfNull(line);
        return line.TryGetPropertyValue("t", out var node) && node is JsonValue value && value.TryGetValue<double>(out var t)
            ? t
            : double.NaN;
    }

    /// <summary>
    /// Returns the first event named <paramref name="eventName"/> (among those at index
    /// <paramref name="startIndex"/> or later, already received or still to come) that satisfies
    /// <paramref name="predicate"/>. Throws <see cref="TimeoutException"/> with all captured output
    /// when none arrives in time, and <see cref="InvalidOperationException"/> as soon as stdout
    /// ends without one. Pass <c>Events.Count</c> as <paramref name="startIndex"/> to wait only
    /// for new events.
    /// </summary>
    public async Task<JsonObject> WaitForEventAsync(
        string eventName,
        TimeSpan timeout,
        Func<JsonObject, bool>? predicate = null,
        int startIndex = 0)
    {
        ArgumentException.ThrowIfNullOrEmpty(eventName);
        ArgumentOutOfRangeException.ThrowIfNegative(startIndex);
        using var timeoutCts = new CancellationTokenSource(timeout);
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                for (var i = startIndex; i < _events.Count; i++)
                {
                    var candidate = _events[i];
                    if (EventNameOf(candidate) == eventName && (predicate is null || predicate(candidate)))
                    {
                        return candidate;
                    }
                }

                if (_stdoutClosed)
                {
                    throw new InvalidOperationException(
                        $"{Name} closed its stdout (exit code {ExitCodeText()}) without emitting event '{eventName}'.{Environment.NewLine}{DescribeOutput()}");
                }

                changed = _changed.Task;
            }

            try
            {
                await changed.WaitAsync(timeoutCts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException(
                    $"{Name} did not emit event '{eventName}' within {timeout.TotalSeconds:0.###} s.{Environment.NewLine}{DescribeOutput()}");
            }
        }
    }

    /// <summary>
    /// Waits for the process to exit and its output to be read to the end; returns the exit code.
    /// Throws <see cref="TimeoutException"/> with all captured output when it does not exit in time.
    /// </summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var timeoutCts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(timeoutCts.Token);
            await Task.WhenAll(_stdoutPump, _stderrPump).WaitAsync(timeoutCts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException(
                $"{Name} did not exit within {timeout.TotalSeconds:0.###} s.{Environment.NewLine}{DescribeOutput()}");
        }

        return _process.ExitCode;
    }

    /// <summary>
    /// Waits until the process is no longer named <c>ip</c> (/proc/PID/comm), i.e. <c>ip netns exec</c> has
    /// exec'd the program (the PID stays the same). Any event the program emitted proves the same;
    /// call this before <see cref="Signal"/> when no event has arrived yet, or the signal may hit
    /// <c>ip</c> itself. Returns at once for a process that was not started through <c>ip</c>.
    /// </summary>
    public async Task WaitForExecAsync(TimeSpan timeout)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (true)
        {
            string comm;
            try
            {
                comm = (await File.ReadAllTextAsync($"/proc/{Id}/comm")).Trim();
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new InvalidOperationException($"{Name} exited before exec'ing its program.{Environment.NewLine}{DescribeOutput()}", ex);
            }

            if (!string.Equals(comm, "ip", StringComparison.Ordinal))
            {
                return;
            }

            if (Stopwatch.GetTimestamp() > deadline)
            {
                throw new TimeoutException($"{Name} still runs ip after {timeout.TotalSeconds:0.###} s.{Environment.NewLine}{DescribeOutput()}");
            }

            await Task.Delay(5);
        }
    }

    /// <summary>
    /// Sends a signal to the process itself (not its children), e.g. <see cref="SigStop"/>.
    /// Right after start the PID may still be running <c>ip</c>; see <see cref="WaitForExecAsync"/>.
    /// </summary>
    public void Signal(int signal)
    {
        if (NativeMethods.kill(Id, signal) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new Win32Exception(errno, $"kill({Id}, {signal}) failed for {Name} (errno {errno}).");
        }
    }

    /// <summary>Kills the process and all its descendants (a stopped process dies too).</summary>
    public void Kill() => ProcessRunner.KillTree(_process);

    /// <summary>All captured stdout and stderr, for assertion messages.</summary>
    public string DescribeOutput()
    {
        lock (_gate)
        {
            return $"--- {Name} (pid {Id}) stdout ---{Environment.NewLine}{_stdout}" +
                $"--- {Name} stderr ---{Environment.NewLine}{_stderr}--- end ---";
        }
    }

    public override string ToString() => $"{Name} (pid {Id})";

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        Kill();
        using var wait = new CancellationTokenSource(DrainWait);
        try
        {
            await _process.WaitForExitAsync(wait.Token);
            await Task.WhenAll(_stdoutPump, _stderrPump).WaitAsync(wait.Token);
        }
        catch (Exception ex) when (ex is OperationCanceledException or InvalidOperationException)
        {
            // Could not confirm the exit; the owning lab still kills and reaps it.
        }

        _process.Dispose();
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        Kill();
        try
        {
            _process.WaitForExit(DrainWait);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        _process.Dispose();
    }

    private string ExitCodeText()
    {
        try
        {
            return _process.HasExited ? _process.ExitCode.ToString(System.Globalization.CultureInfo.InvariantCulture) : "still running";
        }
        catch (InvalidOperationException)
        {
            return "unknown";
        }
    }

    private async Task PumpStdoutAsync(StreamReader reader)
    {
        try
        {
            while (await reader.ReadLineAsync() is { } line)
            {
                var parsed = TryParseObject(line);
                parsed?.Add(ArrivalKey, Now);
                lock (_gate)
                {
                    _stdout.Append(line).Append('\n');
                    if (parsed is not null)
                    {
                        _events.Add(parsed);
                    }

                    NotifyChangedLocked();
                }
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException)
        {
            // The process was killed and disposed while reading.
        }
        finally
        {
            lock (_gate)
            {
                _stdoutClosed = true;
                NotifyChangedLocked();
            }
        }
    }

    private async Task PumpStderrAsync(StreamReader reader)
    {
        var buffer = new char[4096];
        try
        {
            int read;
            while ((read = await reader.ReadAsync(buffer.AsMemory())) > 0)
            {
                lock (_gate)
                {
                    _stderr.Append(buffer, 0, read);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException)
        {
            // The process was killed and disposed while reading.
        }
    }

    private void NotifyChangedLocked()
    {
        var previous = _changed;
        _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        previous.TrySetResult();
    }

    private static JsonObject? TryParseObject(string line)
    {
        var trimmed = line.AsSpan().Trim();
        if (trimmed.Length == 0 || trimmed[0] != '{')
        {
            return null;
        }

        try
        {
            return JsonNode.Parse(line) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static class NativeMethods
    {
        [DllImport("libc", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        internal static extern int kill(int pid, int sig);
    }
}
