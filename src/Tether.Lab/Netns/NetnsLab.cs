using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Tether.Lab.Netns;

/// <summary>Which end of the lab's link an operation applies to.</summary>
public enum LabSide
{
    A,
    B,
    Both,
}

/// <summary>
/// Two Linux network namespaces, <c>&lt;prefix&gt;-a</c> and <c>&lt;prefix&gt;-b</c>, joined by a veth pair
/// (10.X.Y.1/24 in A, 10.X.Y.2/24 in B), so tests run real kernel TCP between processes
/// started in each namespace. The link can be rate limited (tbf) and silently partitioned
/// (nftables). With a <see cref="NatRouter"/>, A and B sit on two links joined by a third namespace
/// <c>&lt;prefix&gt;-r</c> that masquerades A behind its own address (10.X.Y+1.254), as a home router does.
/// Requires root; check <see cref="HostEnvironment.IsLinuxRoot"/> first.
/// </summary>
public sealed class NetnsLab : IAsyncDisposable
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan KillWait = TimeSpan.FromSeconds(5);
    private static readonly ConcurrentDictionary<NetnsLab, byte> Live = new();
    private static readonly List<PosixSignalRegistration> SignalRegistrations = [];
    private static int _exitHooksInstalled;

    private readonly Lock _gate = new();
    private readonly List<Process> _processes = [];
    private int _disposed;

    /// <summary>The environment variable every process started in the lab carries, set to <see cref="Prefix"/>.</summary>
    public const string MarkerVariable = "TETHER_NETNS_LAB";

    private NetnsLab(string prefix, byte subnetX, byte subnetY, NatRouter? router)
    {
        Prefix = prefix;
        Router = router;
        NamespaceA = prefix + "-a";
        NamespaceB = prefix + "-b";
        NamespaceRouter = prefix + "-r";
        InterfaceA = prefix + "-a";
        InterfaceB = prefix + "-b";
        AddressA = new IPAddress(new byte[] { 10, subnetX, subnetY, 1 });

        // Behind a router, B lives on the next subnet and the router's two legs end in .254.
        var subnetB = router is null ? subnetY : (byte)(subnetY + 1);
        AddressB = new IPAddress(new byte[] { 10, subnetX, subnetB, 2 });
        RouterAddressA = new IPAddress(new byte[] { 10, subnetX, subnetY, 254 });
        RouterAddressB = new IPAddress(new byte[] { 10, subnetX, subnetB, 254 });
    }

    /// <summary>Unique per lab (stem + 6 hex digits); names the namespaces, interfaces and nft tables.</summary>
    public string Prefix { get; }

    /// <summary>The NAT router between A and B, or null when they share one link.</summary>
    public NatRouter? Router { get; }

    /// <summary>The router's namespace (exists only with a <see cref="Router"/>).</summary>
    public string NamespaceRouter { get; }

    private IPAddress RouterAddressA { get; }

    private IPAddress RouterAddressB { get; }

    private IEnumerable<string> Namespaces => Router is null ? [NamespaceA, NamespaceB] : [NamespaceA, NamespaceB, NamespaceRouter];

    public string NamespaceA { get; }

    public string NamespaceB { get; }

    /// <summary>The veth end inside <see cref="NamespaceA"/>.</summary>
    public string InterfaceA { get; }

    /// <summary>The veth end inside <see cref="NamespaceB"/>.</summary>
    public string InterfaceB { get; }

    public IPAddress AddressA { get; }

    public IPAddress AddressB { get; }

    /// <summary>Prefix length of the link's subnet.</summary>
    public int SubnetPrefixLength { get; } = 24;

    /// <summary>Creates both namespaces and the direct link between them; cleans up if any step fails.</summary>
    /// <param name="cancellationToken">Cancels the setup (which then cleans up).</param>
    /// <returns>The lab.</returns>
    public static Task<NetnsLab> CreateAsync(CancellationToken cancellationToken = default) =>
        CreateAsync(router: null, stem: "tt", cancellationToken);

    /// <summary>Creates both namespaces and the link between them (through a NAT router when one is given); cleans up if any step fails.</summary>
    /// <param name="router">A NAT router to put between A and B, or null for a direct link.</param>
    /// <param name="stem">Two letters that start every name, so a leftover can be traced to its creator.</param>
    /// <param name="cancellationToken">Cancels the setup (which then cleans up).</param>
    /// <returns>The lab.</returns>
    public static async Task<NetnsLab> CreateAsync(NatRouter? router, string stem, CancellationToken cancellationToken = default)
    {
        EnsureExitHooks();
        var prefix = stem + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3));
        var lab = new NetnsLab(
            prefix,
            (byte)RandomNumberGenerator.GetInt32(200, 250),
            (byte)RandomNumberGenerator.GetInt32(1, 254),
            router);
        Live.TryAdd(lab, 0);
        try
        {
            await lab.SetUpAsync(cancellationToken);
            return lab;
        }
        catch
        {
            await lab.DisposeAsync();
            throw;
        }
    }

    public string NamespaceOf(LabSide side) => side switch
    {
        LabSide.A => NamespaceA,
        LabSide.B => NamespaceB,
        _ => throw new ArgumentOutOfRangeException(nameof(side), side, "Expected A or B."),
    };

    public string InterfaceOf(LabSide side) => side switch
    {
        LabSide.A => InterfaceA,
        LabSide.B => InterfaceB,
        _ => throw new ArgumentOutOfRangeException(nameof(side), side, "Expected A or B."),
    };

    public IPAddress AddressOf(LabSide side) => side switch
    {
        LabSide.A => AddressA,
        LabSide.B => AddressB,
        _ => throw new ArgumentOutOfRangeException(nameof(side), side, "Expected A or B."),
    };

    /// <summary>
    /// Limits the egress of <paramref name="side"/> (or of both sides) to
    /// <paramref name="kbitPerSecond"/> with a token bucket whose queue holds about
    /// <paramref name="queue"/> worth of data; packets beyond that are dropped.
    /// Replaces any earlier limit.
    /// </summary>
    public async Task SetRateAsync(LabSide side, int kbitPerSecond, TimeSpan queue, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(kbitPerSecond);
        ArgumentOutOfRangeException.ThrowIfLessThan(queue, TimeSpan.Zero);
        var rateBytesPerSecond = kbitPerSecond * 1000L / 8;
        var burstBytes = Math.Max(1600L, rateBytesPerSecond / 100);
        var latencyMs = Math.Max(1L, (long)Math.Ceiling(queue.TotalMilliseconds));
        foreach (var one in Expand(side))
        {
            await RunInNamespaceAsync(
                NamespaceOf(one),
                "tc",
                [
                    "qdisc", "replace", "dev", InterfaceOf(one), "root", "tbf",
                    "rate", Invariant($"{kbitPerSecond}kbit"),
                    "burst", Invariant($"{burstBytes}"),
                    "latency", Invariant($"{latencyMs}ms"),
                ],
                cancellationToken: cancellationToken);
        }
    }

    /// <summary>Removes a rate limit set by <see cref="SetRateAsync"/>; a side without one is left as is.</summary>
    public async Task ClearRateAsync(LabSide side, CancellationToken cancellationToken = default)
    {
        foreach (var one in Expand(side))
        {
            var result = await RunInNamespaceAsync(
                NamespaceOf(one),
                "tc",
                ["qdisc", "del", "dev", InterfaceOf(one), "root"],
                check: false,
                cancellationToken: cancellationToken);
            var nothingToDelete = result.Stderr.Contains("handle of zero", StringComparison.OrdinalIgnoreCase)
                || result.Stderr.Contains("No such file", StringComparison.OrdinalIgnoreCase);
            if (!result.Succeeded && !nothingToDelete)
            {
                throw new ProcessFailedException(result);
            }
        }
    }

    /// <summary>
    /// Silently drops every IP packet arriving over the link at <paramref name="receivingSide"/>
    /// (default: both, a full partition). Takes effect at once; nothing is answered, so peers see
    /// pure loss (no RST, no ICMP) and keep retransmitting. ARP still works, so the neighbour
    /// entries stay valid and no local "host unreachable" errors appear.
    /// </summary>
    /// <remarks>
    /// Drops are done on the receiving side's input hook only. Dropping in the sender's output
    /// hook would not model a partition: the kernel reports such drops to the sending socket
    /// (EPERM), and TCP then neither counts retransmissions nor backs off as it does on real loss.
    /// </remarks>
    public async Task BlackholeAsync(LabSide receivingSide = LabSide.Both, CancellationToken cancellationToken = default)
    {
        foreach (var one in Expand(receivingSide))
        {
            var script = string.Join(
                '\n',
                $"add table inet {Prefix}",
                $"delete table inet {Prefix}",
                $"table inet {Prefix} {{",
                "  chain input {",
                "    type filter hook input priority filter - 10; policy accept;",
                $"    iifname \"{InterfaceOf(one)}\" drop",
                "  }",
                "}",
                string.Empty);
            await LoadNftScriptAsync(NamespaceOf(one), script, cancellationToken);
        }
    }

    /// <summary>Removes every blackhole set by <see cref="BlackholeAsync"/>; safe to call when none is set.</summary>
    public async Task HealAsync(CancellationToken cancellationToken = default)
    {
        foreach (var one in Expand(LabSide.Both))
        {
            var script = $"add table inet {Prefix}\ndelete table inet {Prefix}\n";
            await LoadNftScriptAsync(NamespaceOf(one), script, cancellationToken);
        }
    }

    /// <summary>
    /// Starts <c>ip netns exec &lt;ns&gt; &lt;fileName&gt; args...</c> with stdin, stdout and stderr
    /// redirected; nothing reads them, the caller must (or wrap it in <see cref="JsonLinesProcess"/>).
    /// <c>ip</c> execs the program, so <see cref="Process.Id"/> is the program's own PID.
    /// The process tree is killed when the lab is disposed.
    /// </summary>
    public Process StartInNamespace(string ns, string fileName, IEnumerable<string> args)
    {
        ArgumentException.ThrowIfNullOrEmpty(ns);
        ArgumentException.ThrowIfNullOrEmpty(fileName);
        ArgumentNullException.ThrowIfNull(args);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);

        var process = new Process
        {
            StartInfo = ProcessRunner.CreateStartInfo("ip", ["netns", "exec", ns, fileName, .. args]),
        };
        process.StartInfo.Environment[MarkerVariable] = Prefix;
        lock (_gate)
        {
            process.Start();
            _processes.Add(process);
        }

        return process;
    }

    public Process StartInNamespace(LabSide side, string fileName, IEnumerable<string> args) =>
        StartInNamespace(NamespaceOf(side), fileName, args);

    /// <summary>
    /// A TCP socket that lives in <paramref name="side"/>'s namespace, for code in this process to talk across the lab's
    /// links. A socket belongs to the namespace its creating thread was in, so a short-lived thread enters the namespace
    /// (setns), creates it and ends; the socket is used from any thread afterwards.
    /// </summary>
    /// <param name="side">The namespace's side.</param>
    /// <returns>An unconnected IPv4 stream socket.</returns>
    /// <exception cref="IOException">The namespace could not be entered.</exception>
    public Socket CreateSocketIn(LabSide side)
    {
        const int NewNetworkNamespace = 0x40000000; // CLONE_NEWNET
        var path = $"/run/netns/{NamespaceOf(side)}";
        Socket? socket = null;
        Exception? error = null;
        var thread = new Thread(() =>
        {
            try
            {
                using var handle = File.OpenHandle(path);
                if (NativeMethods.setns(handle.DangerousGetHandle(), NewNetworkNamespace) != 0)
                {
                    throw new IOException($"setns({path}) failed with errno {Marshal.GetLastPInvokeError()}");
                }

                socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            }
            catch (Exception e)
            {
                error = e;
            }
        });
        thread.Start();
        thread.Join();
        return socket ?? throw new IOException($"no socket could be created in {NamespaceOf(side)}", error);
    }

    /// <summary>Starts a program in a namespace and reads its stdout as JSON lines.</summary>
    public JsonLinesProcess StartJsonLines(LabSide side, string fileName, IEnumerable<string> args) =>
        new(StartInNamespace(NamespaceOf(side), fileName, args), $"{fileName} in {NamespaceOf(side)}");

    /// <summary>Loads an nftables script (<c>nft -f -</c>) in namespace <paramref name="ns"/>; fails if nft refuses it.</summary>
    /// <param name="ns">The namespace.</param>
    /// <param name="script">The rules.</param>
    /// <param name="cancellationToken">Cancels the command.</param>
    /// <returns>A task for the command.</returns>
    public Task<ProcessResult> LoadNftScriptAsync(string ns, string script, CancellationToken cancellationToken = default) =>
        RunInNamespaceAsync(ns, "nft", ["-f", "-"], standardInput: script, cancellationToken: cancellationToken);

    /// <summary>Runs a short command inside a namespace and returns its output (see <see cref="ProcessRunner.RunAsync"/>).</summary>
    public Task<ProcessResult> RunInNamespaceAsync(
        string ns,
        string fileName,
        IEnumerable<string> args,
        TimeSpan? timeout = null,
        string? standardInput = null,
        bool check = true,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(ns);
        ArgumentException.ThrowIfNullOrEmpty(fileName);
        ArgumentNullException.ThrowIfNull(args);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        return ProcessRunner.RunAsync(
            "ip",
            ["netns", "exec", ns, fileName, .. args],
            timeout ?? CommandTimeout,
            standardInput,
            check,
            cancellationToken);
    }

    /// <summary>
    /// Starts counting the TCP bytes (IP packets, headers included) that cross A's end of the link in either direction;
    /// <see cref="ReadWireBytesAsync"/> reads the total. Starting again resets the count.
    /// </summary>
    /// <param name="cancellationToken">Cancels the command.</param>
    /// <returns>A task that completes when the counter is installed.</returns>
    public async Task StartWireCounterAsync(CancellationToken cancellationToken = default)
    {
        var table = Prefix + "c";
        var script = string.Join(
            '\n',
            $"add table inet {table}",
            $"delete table inet {table}",
            $"table inet {table} {{",
            "  counter wire { }",
            $"  chain inbound {{ type filter hook input priority filter - 20; policy accept; iifname \"{InterfaceA}\" meta l4proto tcp counter name \"wire\"; }}",
            $"  chain outbound {{ type filter hook output priority filter - 20; policy accept; oifname \"{InterfaceA}\" meta l4proto tcp counter name \"wire\"; }}",
            "}",
            string.Empty);
        await LoadNftScriptAsync(NamespaceA, script, cancellationToken);
    }

    /// <summary>Bytes counted since <see cref="StartWireCounterAsync"/>.</summary>
    /// <param name="cancellationToken">Cancels the command.</param>
    /// <returns>The byte count.</returns>
    public async Task<long> ReadWireBytesAsync(CancellationToken cancellationToken = default)
    {
        var result = await RunInNamespaceAsync(NamespaceA, "nft", ["list", "counter", "inet", Prefix + "c", "wire"], cancellationToken: cancellationToken);
        var match = System.Text.RegularExpressions.Regex.Match(result.Stdout, @"bytes (\d+)");
        return match.Success
            ? long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture)
            : throw new InvalidOperationException("nft printed no byte count: " + result.Stdout);
    }

    /// <summary>Kills every started process tree, then deletes both namespaces (which removes the veth pair). Idempotent.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        try
        {
            foreach (var process in TakeProcesses())
            {
                ProcessRunner.KillTree(process);
                using var wait = new CancellationTokenSource(KillWait);
                try
                {
                    await process.WaitForExitAsync(wait.Token);
                }
                catch (Exception ex) when (ex is OperationCanceledException or InvalidOperationException)
                {
                    // Already disposed by its owner, or stuck; deleting the namespace still proceeds.
                }

                process.Dispose();
            }

            foreach (var ns in Namespaces)
            {
                await ProcessRunner.RunAsync("ip", ["netns", "delete", ns], CommandTimeout, check: false);
            }
        }
        finally
        {
            Live.TryRemove(this, out _);
        }
    }

    public override string ToString() =>
        $"{NamespaceA} ({InterfaceA} {AddressA}/{SubnetPrefixLength}) <-> {NamespaceB} ({InterfaceB} {AddressB}/{SubnetPrefixLength})";

    private static string Invariant(FormattableString value) => value.ToString(CultureInfo.InvariantCulture);

    private static IEnumerable<LabSide> Expand(LabSide side) => side switch
    {
        LabSide.A or LabSide.B => [side],
        LabSide.Both => [LabSide.A, LabSide.B],
        _ => throw new ArgumentOutOfRangeException(nameof(side), side, null),
    };

    private static void EnsureExitHooks()
    {
        if (Interlocked.Exchange(ref _exitHooksInstalled, 1) != 0)
        {
            return;
        }

        // Normal exit of the test host (a lab that a test forgot to dispose), and termination by
        // signal: the handlers clean up and then let the default action (exit) proceed. SIGKILL
        // cannot be caught; namespaces named tt* left by such a death are harmless and unique.
        AppDomain.CurrentDomain.ProcessExit += (_, _) => CleanUpAllLive();
        foreach (var signal in new[] { PosixSignal.SIGTERM, PosixSignal.SIGINT, PosixSignal.SIGQUIT, PosixSignal.SIGHUP })
        {
            SignalRegistrations.Add(PosixSignalRegistration.Create(signal, _ => CleanUpAllLive()));
        }
    }

    private static void CleanUpAllLive()
    {
        foreach (var lab in Live.Keys)
        {
            lab.CleanUpSynchronously();
        }
    }

    private void CleanUpSynchronously()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        foreach (var process in TakeProcesses())
        {
            ProcessRunner.KillTree(process);
        }

        foreach (var ns in Namespaces)
        {
            ProcessRunner.TryRun("ip", ["netns", "delete", ns], KillWait);
        }

        Live.TryRemove(this, out _);
    }

    private List<Process> TakeProcesses()
    {
        lock (_gate)
        {
            var taken = _processes.ToList();
            _processes.Clear();
            return taken;
        }
    }

    private async Task SetUpAsync(CancellationToken cancellationToken)
    {
        async Task Ip(params string[] args) =>
            await ProcessRunner.RunAsync("ip", args, CommandTimeout, cancellationToken: cancellationToken);

        await Ip("netns", "add", NamespaceA);
        await Ip("netns", "add", NamespaceB);
        if (Router is null)
        {
            await Ip("link", "add", InterfaceA, "netns", NamespaceA, "type", "veth", "peer", "name", InterfaceB, "netns", NamespaceB);
        }
        else
        {
            await Ip("netns", "add", NamespaceRouter);
            await Ip("link", "add", InterfaceA, "netns", NamespaceA, "type", "veth", "peer", "name", Prefix + "-ra", "netns", NamespaceRouter);
            await Ip("link", "add", InterfaceB, "netns", NamespaceB, "type", "veth", "peer", "name", Prefix + "-rb", "netns", NamespaceRouter);
            await Ip("-n", NamespaceRouter, "addr", "add", Invariant($"{RouterAddressA}/{SubnetPrefixLength}"), "dev", Prefix + "-ra");
            await Ip("-n", NamespaceRouter, "addr", "add", Invariant($"{RouterAddressB}/{SubnetPrefixLength}"), "dev", Prefix + "-rb");
            await Ip("-n", NamespaceRouter, "link", "set", "lo", "up");
            await Ip("-n", NamespaceRouter, "link", "set", Prefix + "-ra", "up");
            await Ip("-n", NamespaceRouter, "link", "set", Prefix + "-rb", "up");
        }

        await Ip("-n", NamespaceA, "addr", "add", Invariant($"{AddressA}/{SubnetPrefixLength}"), "dev", InterfaceA);
        await Ip("-n", NamespaceB, "addr", "add", Invariant($"{AddressB}/{SubnetPrefixLength}"), "dev", InterfaceB);
        await Ip("-n", NamespaceA, "link", "set", "lo", "up");
        await Ip("-n", NamespaceB, "link", "set", "lo", "up");
        await Ip("-n", NamespaceA, "link", "set", InterfaceA, "up");
        await Ip("-n", NamespaceB, "link", "set", InterfaceB, "up");
        if (Router is not null)
        {
            // Only A needs a route: the router masquerades A, so B answers an address on its own link.
            await Ip("-n", NamespaceA, "route", "add", "default", "via", RouterAddressA.ToString());
            await Router.ConfigureAsync(this, Prefix + "-rb", cancellationToken);
        }
    }

    private static class NativeMethods
    {
        [DllImport("libc", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        internal static extern int setns(nint fd, int nstype);
    }
}
