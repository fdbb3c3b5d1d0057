using System.Diagnostics;
using System.Text;

namespace Tether.Lab.Netns;

/// <summary>The outcome of a finished command.</summary>
public sealed record ProcessResult(string CommandLine, int ExitCode, string Stdout, string Stderr)
{
    public bool Succeeded => ExitCode == 0;
}

/// <summary>A command exited with a non-zero status.</summary>
public sealed class ProcessFailedException : Exception
{
    public ProcessFailedException()
    {
    }

    public ProcessFailedException(string message)
        : base(message)
    {
    }

    public ProcessFailedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public ProcessFailedException(ProcessResult result)
        : base(Describe(result))
    {
        ArgumentNullException.ThrowIfNull(result);
        Result = result;
    }

    public ProcessResult? Result { get; }

    private static string Describe(ProcessResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var text = new StringBuilder()
            .Append("Command failed with exit code ").Append(result.ExitCode).Append(": ").AppendLine(result.CommandLine);
        if (result.Stderr.Length > 0)
        {
            text.Append("stderr: ").AppendLine(result.Stderr.TrimEnd());
        }

        if (result.Stdout.Length > 0)
        {
            text.Append("stdout: ").AppendLine(result.Stdout.TrimEnd());
        }

        return text.ToString();
    }
}

/// <summary>Runs short-lived helper commands (ip, tc, nft, ...) and captures their output.</summary>
public static class ProcessRunner
{
    /// <summary>Default time limit for a helper command.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Runs <paramref name="fileName"/> with <paramref name="arguments"/> (passed as an argument
    /// vector, never through a shell). Throws <see cref="ProcessFailedException"/> on a non-zero
    /// exit when <paramref name="check"/> is true, <see cref="TimeoutException"/> when the command
    /// outlives <paramref name="timeout"/> (default 30 s); the process tree is killed in that case
    /// and on cancellation.
    /// </summary>
    public static async Task<ProcessResult> RunAsync(
        string fileName,
        IEnumerable<string> arguments,
        TimeSpan? timeout = null,
        string? standardInput = null,
        bool check = true,
        CancellationToken cancellationToken = default)
    {
        using var process = new Process { StartInfo = CreateStartInfo(fileName, arguments) };
        var commandLine = FormatCommandLine(fileName, process.StartInfo.ArgumentList);

        try
        {
            process.Start();
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            throw new ProcessFailedException($"Could not start: {commandLine}: {ex.Message}", ex);
        }

        var stdoutTask = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var stderrTask = process.StandardError.ReadToEndAsync(CancellationToken.None);

        if (standardInput is not null)
        {
            try
            {
                await process.StandardInput.WriteAsync(standardInput.AsMemory(), CancellationToken.None);
                await process.StandardInput.FlushAsync(CancellationToken.None);
            }
            catch (IOException)
            {
                // The command exited without reading its input; its exit code will tell.
            }
        }

        process.StandardInput.Close();

        var limit = timeout ?? DefaultTimeout;
        using var timeoutCts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutCts.CancelAfter(limit);
        try
        {
            await process.WaitForExitAsync(timeoutCts.Token);
        }
        catch (OperationCanceledException)
        {
            KillTree(process);
            await process.WaitForExitAsync(CancellationToken.None);
            var partialStdout = await stdoutTask;
            var partialStderr = await stderrTask;
            cancellationToken.ThrowIfCancellationRequested();
            throw new TimeoutException(
                $"Command did not finish within {limit.TotalSeconds:0.###} s: {commandLine}{Environment.NewLine}" +
                $"stderr: {partialStderr.TrimEnd()}{Environment.NewLine}stdout: {partialStdout.TrimEnd()}");
        }

        var result = new ProcessResult(commandLine, process.ExitCode, await stdoutTask, await stderrTask);
        if (check && !result.Succeeded)
        {
            throw new ProcessFailedException(result);
        }

        return result;
    }

    /// <summary>
    /// Synchronous variant for places that cannot await (process-exit handlers). Never throws
    /// for a non-zero exit; returns null when the command could not be started or timed out.
    /// </summary>
    public static ProcessResult? TryRun(string fileName, IEnumerable<string> arguments, TimeSpan timeout)
    {
        try
        {
            using var process = new Process { StartInfo = CreateStartInfo(fileName, arguments) };
            process.StartInfo.RedirectStandardInput = false;
            process.Start();
            var stdoutTask = process.StandardOutput.ReadToEndAsync();
            var stderrTask = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(timeout))
            {
                KillTree(process);
                return null;
            }

            process.WaitForExit();
            return new ProcessResult(
                FormatCommandLine(fileName, process.StartInfo.ArgumentList),
                process.ExitCode,
                stdoutTask.GetAwaiter().GetResult(),
                stderrTask.GetAwaiter().GetResult());
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or InvalidOperationException or IOException)
        {
            return null;
        }
    }

    /// <summary>A start info with every standard stream redirected and no shell involved.</summary>
    public static ProcessStartInfo CreateStartInfo(string fileName, IEnumerable<string> arguments)
    {
        ArgumentException.ThrowIfNullOrEmpty(fileName);
        ArgumentNullException.ThrowIfNull(arguments);
        var startInfo = new ProcessStartInfo(HostEnvironment.FindCommand(fileName) ?? fileName)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        return startInfo;
    }

    /// <summary>A shell-like rendering of a command for messages (quotes arguments with spaces).</summary>
    public static string FormatCommandLine(string fileName, IEnumerable<string> arguments)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        return string.Join(' ', new[] { fileName }.Concat(arguments).Select(Quote));
    }

    /// <summary>Kills a process and all of its descendants, ignoring one that already exited.</summary>
    public static void KillTree(Process process)
    {
        ArgumentNullException.ThrowIfNull(process);
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already exited or never started.
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // Raced with its exit.
        }
    }

    private static string Quote(string argument)
    {
        if (argument.Length > 0 && !argument.Any(c => char.IsWhiteSpace(c) || c is '\'' or '"' or '\\' or '$' or ';' or '&' or '|' or '<' or '>' or '(' or ')' or '*' or '?' or '{' or '}' or '`'))
        {
            return argument;
        }

        return "'" + argument.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
    }
}
