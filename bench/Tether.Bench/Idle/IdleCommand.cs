using System.Globalization;
using System.Net;
using Tether.Bench.Cli;
using Tether.Bench.Reporting;

namespace Tether.Bench.Idle;

/// <summary>
/// <c>idle</c>: open many idle Tether connections over loopback and measure the memory each one holds after a full GC.
/// Variant <c>in-process</c> keeps both ends in this process (per connection end = heap delta / 2N); variant
/// <c>split</c> puts the listener side in a child process so each side is measured alone.
/// </summary>
internal static class IdleCommand
{
    public const string Usage =
        "idle [--connections N (10000)] [--variant in-process|split|both (both)] [--keepalive S (30)] [--dead S (90)] [--settle S (2)] [--parallelism N (64)] [--hold S (0)] [--json FILE]";

    public static readonly TimeSpan AcceptTimeout = TimeSpan.FromMinutes(3);

    private static readonly string[] SettingNames = ["--connections", "--keepalive", "--dead", "--settle", "--parallelism"];

    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        var parsed = BenchArguments.Parse(args, [.. SettingNames, "--variant", "--hold", "--json"]);
        var settings = ParseSettings(parsed);
        var variant = parsed.GetString("--variant") ?? "both";
        if (variant is not ("in-process" or "split" or "both"))
        {
            throw new UsageException($"--variant must be in-process, split or both, got '{variant}'.");
        }

        var hold = TimeSpan.FromSeconds(parsed.GetSeconds("--hold", 0));
        var limit = FileDescriptorLimit.EnsureAtLeast(FileDescriptorsNeeded(2 * settings.Connections));
        Console.WriteLine($"# Idle connections: {settings.Connections:N0}, keepalive {settings.KeepaliveInterval.TotalSeconds:0} s, dead timeout {settings.DeadTimeout.TotalSeconds:0} s");
        Console.WriteLine($"Machine: {MachineInfo.Current}; open-file limit {limit?.ToString(CultureInfo.InvariantCulture) ?? "unknown"}");

        var results = new List<IdleResult>();
        if (variant is "in-process" or "both")
        {
            if (limit < FileDescriptorsNeeded(2 * settings.Connections))
            {
                Console.WriteLine($"in-process: skipped, {2 * settings.Connections:N0} sockets do not fit under the open-file limit of {limit:N0} " +
                    $"(raise 'ulimit -n', which needs CAP_SYS_RESOURCE, or use --connections {((long)limit! - DescriptorSlack) / 2} or fewer).");
            }
            else
            {
                results.Add(await RunInProcessAsync(settings, hold));
            }
        }

        if (variant is "split" or "both")
        {
            results.AddRange(await RunSplitAsync(settings, hold));
        }

        Console.WriteLine();
        Console.WriteLine(Format(results));
        await JsonReport.WriteAsync(parsed.GetString("--json"), "idle", new { Settings = settings, Variants = results });
        return results.Count > 0 && results.All(r => r.StillOpen == r.ConnectionEnds) ? 0 : 1;
    }

    /// <summary>Descriptors the runtime, the listeners and the warm-up need besides the connections' sockets.</summary>
    private const int DescriptorSlack = 256;

    /// <summary>Descriptors a process holding <paramref name="sockets"/> connection sockets needs.</summary>
    public static ulong FileDescriptorsNeeded(int sockets) => (ulong)sockets + DescriptorSlack;

    public static IdleSettings ParseSettings(IReadOnlyList<string> args) => ParseSettings(BenchArguments.Parse(args, SettingNames));

    /// <summary>The settings as arguments for the listener child.</summary>
    public static IEnumerable<string> FormatSettings(IdleSettings s) =>
    [
        "--connections", s.Connections.ToString(CultureInfo.InvariantCulture),
        "--keepalive", s.KeepaliveInterval.TotalSeconds.ToString(CultureInfo.InvariantCulture),
        "--dead", s.DeadTimeout.TotalSeconds.ToString(CultureInfo.InvariantCulture),
        "--settle", s.Settle.TotalSeconds.ToString(CultureInfo.InvariantCulture),
        "--parallelism", s.Parallelism.ToString(CultureInfo.InvariantCulture),
    ];

    public static IdleSettings ParseSettings(BenchArguments parsed) => new(
        parsed.GetInt("--connections", 10_000),
        TimeSpan.FromSeconds(parsed.GetSeconds("--keepalive", 30)),
        TimeSpan.FromSeconds(parsed.GetSeconds("--dead", 90)),
        TimeSpan.FromSeconds(parsed.GetSeconds("--settle", 2)),
        parsed.GetInt("--parallelism", 64));

    private static async Task<IdleResult> RunInProcessAsync(IdleSettings settings, TimeSpan hold)
    {
        Console.WriteLine("in-process: opening connections ...");
        var listeners = settings.StartListeners();
        var targets = listeners.Select(l => l.LocalEndPoint).ToList();
        await using var accepted = new AcceptedConnections(listeners);

        await WarmUpAsync(targets, settings, async () =>
        {
            await accepted.WaitForAsync(IdleSettings.WarmupConnections, AcceptTimeout);
            await IdleConnections.AbortAllAsync(accepted.TakeAll());
        });
        var baseline = MemorySample.Take();

        var connectors = await IdleConnections.OpenAsync(targets, settings.Connections, settings);
        await accepted.WaitForAsync(settings.Connections, AcceptTimeout);
        await Task.Delay(settings.Settle);
        var loaded = MemorySample.Take();
        var open = IdleConnections.CountOpen(connectors) + accepted.CountOpen();
        await HoldAsync(hold, Environment.ProcessId);
        await IdleConnections.AbortAllAsync(connectors);
        return new IdleResult("in-process (both ends)", settings.Connections, 2 * settings.Connections, open, baseline, loaded);
    }

    private static async Task<IdleResult[]> RunSplitAsync(IdleSettings settings, TimeSpan hold)
    {
        Console.WriteLine("split: starting the listener child and opening connections ...");
        await using var child = await ListenerChildProcess.StartAsync(settings);

        var childBaseline = default(MemorySample);
        await WarmUpAsync(child.Endpoints, settings, async () => (_, childBaseline) = await child.ResetAsync(IdleSettings.WarmupConnections));
        var baseline = MemorySample.Take();

        var connectors = await IdleConnections.OpenAsync(child.Endpoints, settings.Connections, settings);
        var (childOpen, childLoaded) = await child.MeasureAsync(settings.Connections);
        var loaded = MemorySample.Take();
        var open = IdleConnections.CountOpen(connectors);
        await HoldAsync(hold, Environment.ProcessId, child.ProcessId);
        await IdleConnections.AbortAllAsync(connectors);
        return
        [
            new IdleResult("split: connector side (this process)", settings.Connections, settings.Connections, open, baseline, loaded),
            new IdleResult("split: listener side (child process)", settings.Connections, settings.Connections, childOpen, childBaseline, childLoaded),
        ];
    }

    /// <summary>
    /// Opens and drops a few connections so JIT, pools and statics are in the baseline. <paramref name="dropPeers"/>
    /// drops the accepting ends first (they must all have arrived, or an abort could beat their handshake). Nothing
    /// here stays referenced once it returns.
    /// </summary>
    public static async Task WarmUpAsync(IReadOnlyList<IPEndPoint> targets, IdleSettings settings, Func<Task> dropPeers)
    {
        var warmup = await IdleConnections.OpenAsync(targets, IdleSettings.WarmupConnections, settings);
        await dropPeers();
        await IdleConnections.AbortAllAsync(warmup);
    }

    private static async Task HoldAsync(TimeSpan hold, params int[] processIds)
    {
        if (hold > TimeSpan.Zero)
        {
            Console.WriteLine($"Holding the connections open for {hold.TotalSeconds:0} s; inspect with e.g. " +
                string.Join(" and ", processIds.Select(id => $"'dotnet-gcdump collect -p {id}'")));
            await Task.Delay(hold);
        }
    }

    public static string Format(IEnumerable<IdleResult> results)
    {
        var table = new MarkdownTable("variant", "connections", "ends open", "managed heap Δ", "heap / connection end", "working set Δ", "WS / connection end", "kernel TCP mem / socket");
        foreach (var r in results)
        {
            table.Add(
                r.Variant,
                Units.Count(r.Connections),
                $"{Units.Count(r.StillOpen)}/{Units.Count(r.ConnectionEnds)}",
                Units.Bytes(r.HeapDelta),
                Units.Bytes(r.HeapPerConnectionEnd),
                Units.Bytes(r.WorkingSetDelta),
                Units.Bytes(r.WorkingSetPerConnectionEnd),
                r.KernelTcpPerSocket is { } k ? Units.Bytes(k) : "-");
        }

        return table.ToString();
    }
}
