using System.Globalization;
using System.Net;
using Tether.Bench.Hosting;

namespace Tether.Bench.Idle;

/// <summary>
/// The connecting side of one shard of <c>tether bench idle</c> in a process of its own (<c>idle-connector EP,EP...
/// SETTINGS</c>): a process may hold only so many sockets (RLIMIT_NOFILE, whose hard limit cannot be raised here), so
/// N = 100,000 needs several. It opens its connections, prints <c>open N</c>, then answers <c>count</c> with
/// <c>open N</c> (connections still open) until <c>exit</c>.
/// </summary>
internal static class ConnectorChild
{
    public const string CommandName = "idle-connector";

    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        var targets = args[0].Split(',').Select(IPEndPoint.Parse).ToList();
        var settings = IdleCommand.ParseSettings([.. args.Skip(1)]);
        FileDescriptorLimit.EnsureAtLeast(IdleCommand.FileDescriptorsNeeded(settings.Connections));
        var connections = await IdleConnections.OpenAsync(targets, settings.Connections, settings);
        Console.WriteLine(Reply(connections));
        while (await Console.In.ReadLineAsync() is { } line && line != "exit")
        {
            Console.WriteLine(line == "count" ? Reply(connections) : $"error unknown command '{line}'");
        }

        await IdleConnections.AbortAllAsync(connections);
        return 0;
    }

    private static string Reply(IEnumerable<Framing.TetherConnection> connections) =>
        string.Create(CultureInfo.InvariantCulture, $"open {IdleConnections.CountOpen(connections)}");
}

/// <summary>The parent's handle on a <see cref="ConnectorChild"/>.</summary>
internal sealed class ConnectorChildProcess : IAsyncDisposable
{
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(60);
    private readonly System.Diagnostics.Process _process;

    private ConnectorChildProcess(System.Diagnostics.Process process) => _process = process;

    /// <summary>Starts the child and waits until its connections are open.</summary>
    public static async Task<ConnectorChildProcess> StartAsync(IReadOnlyList<IPEndPoint> targets, IdleSettings settings)
    {
        var process = SelfProcess.Start([ConnectorChild.CommandName, string.Join(',', targets), .. IdleCommand.FormatSettings(settings)]);
        await SelfProcess.ExpectLineAsync(process, "open ");
        return new ConnectorChildProcess(process);
    }

    /// <summary>How many of its connections are still open.</summary>
    public async Task<int> CountOpenAsync() =>
        int.Parse((await SelfProcess.RequestAsync(_process, "count"))["open ".Length..], CultureInfo.InvariantCulture);

    public async ValueTask DisposeAsync() => await SelfProcess.StopAsync(_process, ExitTimeout);
}
