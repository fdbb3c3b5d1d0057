using System.Globalization;
using System.Net;
using Tether.Bench.Cli;
using Tether.Bench.Hosting;
using Tether.Bench.Idle;
using Tether.Bench.Rpc;

namespace Tether.Bench.Floor;

/// <summary>
/// The floor's listener in a process of its own (<c>floor-listener --connections N --answer true|false --coalesce
/// DUR</c>): prints <c>listening EP</c>, then answers <c>wait N</c> (until N connections were accepted) with
/// <c>accepted N</c> and <c>observe MS</c> with <c>observed WINDOW CPU MESSAGES</c> (ticks, ticks, count), until
/// <c>exit</c>.
/// </summary>
internal static class FloorListenerChild
{
    public const string CommandName = "floor-listener";

    private static readonly TimeSpan AcceptTimeout = TimeSpan.FromMinutes(3);

    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        var parsed = BenchArguments.Parse(args, "--connections", "--answer", "--coalesce");
        var connections = parsed.GetInt("--connections", 1);
        FileDescriptorLimit.EnsureAtLeast(IdleCommand.FileDescriptorsNeeded(connections));
        using var reactor = new EchoReactor(new IPEndPoint(IPAddress.Loopback, 0), connections,
            parsed.GetString("--answer") != "false", parsed.GetDuration("--coalesce", TimeSpan.Zero));
        Console.WriteLine($"listening {reactor.LocalEndPoint}");
        while (await Console.In.ReadLineAsync() is { } line && line != "exit")
        {
            var (command, argument) = line.Split(' ') is [var c, var a] ? (c, long.Parse(a, CultureInfo.InvariantCulture)) : (line, 0);
            Console.WriteLine(command switch
            {
                "wait" => $"accepted {await WaitForAsync(reactor, (int)argument)}",
                "observe" => $"observed {(await FloorObservation.TakeAsync(reactor, TimeSpan.FromMilliseconds(argument))).Format()}",
                _ => $"error unknown command '{line}'",
            });
        }

        return 0;
    }

    private static async Task<int> WaitForAsync(EchoReactor reactor, int count)
    {
        var deadline = DateTime.UtcNow + AcceptTimeout;
        while (reactor.Accepted < count && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        return reactor.Accepted;
    }
}

/// <summary>
/// The floor's connectors in a process of their own (<c>floor-connector EP,EP... --connections N --keepalive
/// DUR</c>): connects, prints <c>open N</c>, then answers <c>count</c> with <c>replies N</c> until <c>exit</c>.
/// </summary>
internal static class FloorConnectorChild
{
    public const string CommandName = "floor-connector";

    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        var targets = args[0].Split(',').Select(IPEndPoint.Parse).ToList();
        var parsed = BenchArguments.Parse([.. args.Skip(1)], "--connections", "--keepalive");
        var connections = parsed.GetInt("--connections", 1);
        FileDescriptorLimit.EnsureAtLeast(IdleCommand.FileDescriptorsNeeded(connections));
        using var schedule = PingSchedule.Start(targets, connections, parsed.GetDuration("--keepalive", TimeSpan.FromSeconds(30)));
        Console.WriteLine($"open {connections}");
        while (await Console.In.ReadLineAsync() is { } line && line != "exit")
        {
            Console.WriteLine(line == "count" ? $"replies {schedule.Replies}" : $"error unknown command '{line}'");
        }

        return 0;
    }
}

/// <summary>What the floor's listener process spent over a window, and the keepalive messages it read meanwhile.</summary>
internal sealed record FloorObservation(TimeSpan Window, TimeSpan Cpu, long Messages)
{
    public static async Task<FloorObservation> TakeAsync(EchoReactor reactor, TimeSpan window)
    {
        var (cpu, messages, started) = (ProcessStats.Take().Cpu, reactor.Messages, System.Diagnostics.Stopwatch.GetTimestamp());
        await Task.Delay(window);
        return new FloorObservation(System.Diagnostics.Stopwatch.GetElapsedTime(started), ProcessStats.Take().Cpu - cpu, reactor.Messages - messages);
    }

    public string Format() => string.Create(CultureInfo.InvariantCulture, $"{Window.Ticks} {Cpu.Ticks} {Messages}");

    public static FloorObservation Parse(string text) =>
        text.Split(' ').Select(s => long.Parse(s, CultureInfo.InvariantCulture)).ToArray() is [var window, var cpu, var messages]
            ? new FloorObservation(TimeSpan.FromTicks(window), TimeSpan.FromTicks(cpu), messages)
            : throw new FormatException($"Not an observation: '{text}'.");
}

/// <summary>The parent's handle on one shard of the floor benchmark: a listener child and a connector child.</summary>
internal sealed class FloorShard : IAsyncDisposable
{
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(30);
    private readonly System.Diagnostics.Process _listener;
    private readonly System.Diagnostics.Process _connector;

    private FloorShard(System.Diagnostics.Process listener, System.Diagnostics.Process connector)
    {
        _listener = listener;
        _connector = connector;
    }

    /// <summary>Starts both children and waits until all <paramref name="connections"/> are accepted.</summary>
    public static async Task<FloorShard> StartAsync(int connections, TimeSpan keepalive, bool answer, TimeSpan coalesce)
    {
        var count = connections.ToString(CultureInfo.InvariantCulture);
        var listener = SelfProcess.Start([FloorListenerChild.CommandName, "--connections", count, "--answer", answer ? "true" : "false",
            "--coalesce", $"{coalesce.TotalMilliseconds.ToString(CultureInfo.InvariantCulture)}ms"]);
        var endpoint = await SelfProcess.ExpectLineAsync(listener, "listening ");
        var connector = SelfProcess.Start([FloorConnectorChild.CommandName, endpoint, "--connections", count,
            "--keepalive", $"{keepalive.TotalSeconds.ToString(CultureInfo.InvariantCulture)}s"]);
        var shard = new FloorShard(listener, connector);
        try
        {
            await SelfProcess.ExpectLineAsync(connector, "open ");
            var accepted = await SelfProcess.RequestAsync(listener, $"wait {count}");
            return accepted == $"accepted {count}" ? shard
                : throw new InvalidOperationException($"The floor listener accepted too few connections: '{accepted}' of {count}.");
        }
        catch
        {
            await shard.DisposeAsync();
            throw;
        }
    }

    public async Task<FloorObservation> ObserveAsync(TimeSpan window)
    {
        var reply = await SelfProcess.RequestAsync(_listener, string.Create(CultureInfo.InvariantCulture, $"observe {(long)window.TotalMilliseconds}"));
        return FloorObservation.Parse(reply["observed ".Length..]);
    }

    /// <summary>Replies the connector has read so far, in messages.</summary>
    public async Task<long> CountRepliesAsync() =>
        long.Parse((await SelfProcess.RequestAsync(_connector, "count"))["replies ".Length..], CultureInfo.InvariantCulture);

    public async ValueTask DisposeAsync()
    {
        await SelfProcess.StopAsync(_connector, ExitTimeout);
        await SelfProcess.StopAsync(_listener, ExitTimeout);
    }
}
