using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Tether.Functional.Tests.Infrastructure;

/// <summary>Starts the real <c>tether</c> command (built next to the tests) as a child process.</summary>
public static class TetherCli
{
    /// <summary>The CLI assembly, copied into the test output by the project reference.</summary>
    public static string DllPath { get; } = Path.Combine(AppContext.BaseDirectory, "Tether.Cli.dll");

    /// <summary>The dotnet host running the tests.</summary>
    public static string DotnetHost { get; } = Environment.ProcessPath is { } host && Path.GetFileNameWithoutExtension(host) == "dotnet" ? host : "dotnet";

    /// <summary>Arguments for <c>dotnet Tether.Cli.dll ...</c>.</summary>
    public static IEnumerable<string> Args(params string[] args) => [DllPath, .. args];

    /// <summary>Starts the CLI on this host (no namespace).</summary>
    public static JsonLinesProcess Start(string name, params string[] args)
    {
        var info = new ProcessStartInfo(DotnetHost)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var arg in Args(args))
        {
            info.ArgumentList.Add(arg);
        }

        return new JsonLinesProcess(Process.Start(info)!, name);
    }

    /// <summary>A free TCP port on loopback.</summary>
    public static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}
