using Tether.Functional.Tests.Infrastructure;

namespace Tether.Functional.Tests.Pb;

/// <summary>
/// The Python interpreter that has Twisted (Debian's python3-twisted, which is what CI installs). A
/// python3 earlier on PATH (pyenv, a virtualenv) often lacks it, so candidates are probed in order:
/// $TETHER_PYTHON, /usr/bin/python3, python3 on PATH.
/// </summary>
internal static class TwistedPython
{
    private static readonly Lazy<(string? Path, string Version)> Found = new(Probe);

    /// <summary>Requires an interpreter with Twisted (skip locally, fail under CI) and returns its path.</summary>
    public static string Require(string what)
    {
        var (path, _) = Found.Value;
        Requirements.Require(path is not null, what, "no python3 with Twisted found (apt-get install python3-twisted, or set TETHER_PYTHON)");
        return path!;
    }

    /// <summary>The Twisted version the interpreter reports, for test output.</summary>
    public static string Version => Found.Value.Version;

    /// <summary>Starts Scripts/pb_client.py against 127.0.0.1:<paramref name="port"/> (see the script for the scenarios).</summary>
    public static JsonLinesProcess StartClient(int port, string scenario, params string[] arguments) =>
        new(
            System.Diagnostics.Process.Start(ProcessRunner.CreateStartInfo(Require($"the Twisted PB client ({scenario})"), [Script("pb_client.py"), $"{port}", scenario, .. arguments]))!,
            $"pb_client.py {scenario}");

    /// <summary>Full path of a script in the test project's Scripts folder.</summary>
    public static string Script(string name) => Path.Combine(AppContext.BaseDirectory, "Scripts", name);

    private static (string? Path, string Version) Probe()
    {
        string?[] candidates = [Environment.GetEnvironmentVariable("TETHER_PYTHON"), "/usr/bin/python3", Requirements.FindCommand("python3")];
        foreach (var candidate in candidates.OfType<string>().Where(File.Exists).Distinct())
        {
            var result = ProcessRunner.TryRun(candidate, ["-c", "import twisted.spread.pb, twisted; print(twisted.__version__)"], TimeSpan.FromSeconds(30));
            if (result is { Succeeded: true })
            {
                return (candidate, result.Stdout.Trim());
            }
        }

        return (null, string.Empty);
    }
}
