using System.Diagnostics;

namespace Tether.Bench.Hosting;

/// <summary>
/// Starts this same program again as a child (a contender's server, the idle listener), with standard input and output
/// redirected. <see cref="CommandPrefix"/> is how the entry point routes to the bench commands: <c>["bench"]</c> for
/// the <c>tether</c> CLI, empty for Tether.Benchmarks.
/// </summary>
internal static class SelfProcess
{
    /// <summary>Arguments that come before a bench command name for this executable; set once by the entry point.</summary>
    public static IReadOnlyList<string> CommandPrefix { get; set; } = [];

    /// <summary>Starts the child with <paramref name="arguments"/> after the command prefix.</summary>
    public static Process Start(IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };

        // Run this same program: its apphost directly, or "dotnet X.dll" when started that way.
        var self = Environment.ProcessPath ?? throw new InvalidOperationException("Cannot tell which executable to start.");
        start.FileName = self;
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            start.ArgumentList.Add(System.Reflection.Assembly.GetEntryAssembly()?.Location
                ?? throw new InvalidOperationException("Cannot tell which assembly to start."));
        }

        foreach (var argument in CommandPrefix.Concat(arguments))
        {
            start.ArgumentList.Add(argument);
        }

        return Process.Start(start) ?? throw new InvalidOperationException($"Could not start {self}.");
    }

    /// <summary>Reads the child's first line, which must start with <paramref name="prefix"/>; returns the rest.</summary>
    /// <exception cref="InvalidOperationException">The child said something else or exited.</exception>
    public static async Task<string> ExpectLineAsync(Process process, string prefix)
    {
        var line = await process.StandardOutput.ReadLineAsync();
        if (line is null || !line.StartsWith(prefix, StringComparison.Ordinal))
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"The child process did not start (it said: '{line}').");
        }

        return line[prefix.Length..];
    }

    /// <summary>Asks the child to exit (a line <c>exit</c>), killing it if it does not within <paramref name="timeout"/>.</summary>
    public static async Task StopAsync(Process process, TimeSpan timeout)
    {
        try
        {
            await process.StandardInput.WriteLineAsync("exit");
            await process.StandardInput.FlushAsync();
            using var cancel = new CancellationTokenSource(timeout);
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
        }

        process.Dispose();
    }

    /// <summary>Sends one command line and reads the one-line reply.</summary>
    public static async Task<string> RequestAsync(Process process, string command)
    {
        await process.StandardInput.WriteLineAsync(command);
        await process.StandardInput.FlushAsync();
        return await process.StandardOutput.ReadLineAsync()
            ?? throw new InvalidOperationException($"The child process exited while answering '{command}'.");
    }
}
