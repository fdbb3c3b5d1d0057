using System.Globalization;
using System.Text.Json.Nodes;
using Tether.Functional.Tests.Infrastructure;

namespace Tether.Functional.Tests;

/// <summary>Checks the namespace lab itself with small Python TCP peers.</summary>
public sealed class NetnsLabTests
{
    private static readonly TimeSpan EventTimeout = TimeSpan.FromSeconds(15);

    // Echo server: listens on argv[1]:0, reports its port, echoes every connection concurrently.
    private const string EchoServer = """
        import json, socket, sys, threading, time
        t0 = time.monotonic()
        lock = threading.Lock()
        def emit(event, **fields):
            fields.update(t=round(time.monotonic() - t0, 6), event=event)
            with lock:
                print(json.dumps(fields), flush=True)
        srv = socket.socket()
        srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        srv.bind((sys.argv[1], 0))
        srv.listen(16)
        emit("listening", port=srv.getsockname()[1])
        def serve(conn):
            with conn:
                while True:
                    data = conn.recv(65536)
                    if not data:
                        break
                    conn.sendall(data)
            emit("closed")
        while True:
            conn, peer = srv.accept()
            emit("accepted", peer=peer[0])
            threading.Thread(target=serve, args=(conn,), daemon=True).start()
        """;

    // Client: argv = host port size timeout wait_for_stdin. Connects, optionally waits for a line
    // on stdin, sends size bytes from a thread while reading the echo back, reports the result.
    private const string EchoClient = """
        import json, socket, sys, threading, time
        t0 = time.monotonic()
        def emit(event, **fields):
            fields.update(t=round(time.monotonic() - t0, 6), event=event)
            print(json.dumps(fields), flush=True)
        host, port, size, timeout, wait = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), sys.argv[5] == "1"
        s = socket.socket()
        s.settimeout(timeout)
        try:
            s.connect((host, port))
        except (socket.timeout, TimeoutError):
            emit("connect_timeout", seconds=time.monotonic() - t0)
            sys.exit(2)
        except OSError as e:
            emit("connect_error", errno=e.errno, message=str(e))
            sys.exit(3)
        emit("connected")
        if wait:
            sys.stdin.readline()
        payload = bytes(i % 251 for i in range(size))
        start = time.monotonic()
        threading.Thread(target=s.sendall, args=(payload,), daemon=True).start()
        emit("sending", bytes=size)
        got = bytearray()
        try:
            while len(got) < size:
                data = s.recv(65536)
                if not data:
                    break
                got += data
        except (socket.timeout, TimeoutError):
            emit("echo_timeout", bytes=len(got))
            sys.exit(4)
        emit("echoed", ok=bytes(got) == payload, bytes=len(got), seconds=time.monotonic() - start)
        """;

    [SkippableFact]
    public async Task Echo_works_until_blackholed_and_again_after_heal()
    {
        RequireLab();
        await using var lab = await NetnsLab.CreateAsync();
        await using var server = StartServer(lab);
        var port = PortOf(await server.WaitForEventAsync("listening", EventTimeout));

        await using (var client = StartClient(lab, port, size: 1000, timeoutSeconds: 5))
        {
            var echoed = await client.WaitForEventAsync("echoed", EventTimeout);
            Assert.True((bool)echoed["ok"]!, client.DescribeOutput());
            Assert.Equal(0, await client.WaitForExitAsync(EventTimeout));
        }

        await lab.BlackholeAsync();
        await using (var client = StartClient(lab, port, size: 1000, timeoutSeconds: 2))
        {
            await client.WaitForEventAsync("connect_timeout", EventTimeout);
            Assert.Equal(2, await client.WaitForExitAsync(EventTimeout));
        }

        await lab.HealAsync();
        await using (var client = StartClient(lab, port, size: 1000, timeoutSeconds: 5))
        {
            var echoed = await client.WaitForEventAsync("echoed", EventTimeout);
            Assert.True((bool)echoed["ok"]!, client.DescribeOutput());
        }

        // Blackhole and heal are idempotent.
        await lab.HealAsync();
        await lab.BlackholeAsync();
        await lab.BlackholeAsync();
        await lab.HealAsync();
    }

    [SkippableFact]
    public async Task Established_connection_survives_a_short_blackhole_without_reset()
    {
        RequireLab();
        await using var lab = await NetnsLab.CreateAsync();
        await using var server = StartServer(lab);
        var port = PortOf(await server.WaitForEventAsync("listening", EventTimeout));

        await using var client = StartClient(lab, port, size: 20_000, timeoutSeconds: 20, waitForStdin: true);
        await client.WaitForEventAsync("connected", EventTimeout);

        await lab.BlackholeAsync();
        await client.StandardInput.WriteLineAsync("go");
        await client.StandardInput.FlushAsync();
        await client.WaitForEventAsync("sending", EventTimeout);
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.DoesNotContain(client.Events, e => JsonLinesProcess.EventNameOf(e) == "echoed");
        Assert.False(client.HasExited, client.DescribeOutput());

        await lab.HealAsync();
        var echoed = await client.WaitForEventAsync("echoed", EventTimeout);
        Assert.True((bool)echoed["ok"]!, client.DescribeOutput());
        Assert.Equal(0, await client.WaitForExitAsync(EventTimeout));
    }

    [SkippableFact]
    public async Task SetRate_installs_tbf_and_limits_throughput()
    {
        RequireLab();
        await using var lab = await NetnsLab.CreateAsync();

        await lab.SetRateAsync(LabSide.A, 1600, TimeSpan.FromMilliseconds(100));
        Assert.Contains("tbf", await QdiscAsync(lab, LabSide.A), StringComparison.Ordinal);
        Assert.DoesNotContain("tbf", await QdiscAsync(lab, LabSide.B), StringComparison.Ordinal);

        await using var server = StartServer(lab);
        var port = PortOf(await server.WaitForEventAsync("listening", EventTimeout));
        await using (var client = StartClient(lab, port, size: 200_000, timeoutSeconds: 20))
        {
            // 200 kB through 1600 kbit/s (200 kB/s) takes about a second; unshaped it takes milliseconds.
            var echoed = await client.WaitForEventAsync("echoed", EventTimeout);
            Assert.True((bool)echoed["ok"]!, client.DescribeOutput());
            var seconds = (double)echoed["seconds"]!;
            Assert.True(seconds > 0.6, $"200 kB took only {seconds:0.###} s through a 1600 kbit/s limit");
        }

        await lab.SetRateAsync(LabSide.Both, 8000, TimeSpan.FromMilliseconds(50));
        var qdiscA = await QdiscAsync(lab, LabSide.A);
        Assert.Contains("tbf", qdiscA, StringComparison.Ordinal);
        Assert.Contains("8Mbit", qdiscA, StringComparison.Ordinal);
        Assert.Contains("tbf", await QdiscAsync(lab, LabSide.B), StringComparison.Ordinal);

        await lab.ClearRateAsync(LabSide.Both);
        await lab.ClearRateAsync(LabSide.Both);
        Assert.DoesNotContain("tbf", await QdiscAsync(lab, LabSide.A), StringComparison.Ordinal);
        Assert.DoesNotContain("tbf", await QdiscAsync(lab, LabSide.B), StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Processes_run_in_namespace_take_signals_and_die_with_the_lab()
    {
        RequireLab();
        var lab = await NetnsLab.CreateAsync();
        try
        {
            Assert.Contains(lab.NamespaceA, await NetnsListAsync(), StringComparison.Ordinal);
            Assert.True(lab.InterfaceA.Length <= 15 && lab.InterfaceB.Length <= 15, lab.ToString());

            await using var sleeper = new JsonLinesProcess(lab.StartInNamespace(lab.NamespaceA, "sleep", ["60"]));

            // ip netns exec execs the program: the PID we hold becomes sleep's own.
            await sleeper.WaitForExecAsync(EventTimeout);
            Assert.Equal("sleep", (await File.ReadAllTextAsync($"/proc/{sleeper.Id}/comm")).Trim());
            var ownNetns = await File.ReadAllTextAsync("/proc/self/net/dev");
            var itsNetns = await File.ReadAllTextAsync($"/proc/{sleeper.Id}/net/dev");
            Assert.Contains(lab.InterfaceA, itsNetns, StringComparison.Ordinal);
            Assert.DoesNotContain(lab.InterfaceA, ownNetns, StringComparison.Ordinal);

            sleeper.Signal(JsonLinesProcess.SigStop);
            await WaitForStateAsync(sleeper.Id, 'T');
            sleeper.Signal(JsonLinesProcess.SigCont);
            await WaitForStateAsync(sleeper.Id, 'S');

            await using var echo = lab.StartJsonLines(LabSide.B, "python3", ["-c", "print('not json'); print('{\"t\": 0.5, \"event\": \"hello\", \"n\": 7}')"]);
            var hello = await echo.WaitForEventAsync("hello", EventTimeout);
            Assert.Equal(0.5, JsonLinesProcess.TimeOf(hello));
            Assert.Equal(0, await echo.WaitForExitAsync(EventTimeout));
            Assert.Single(echo.Events);
            Assert.Contains("not json", echo.Stdout, StringComparison.Ordinal);
            await Assert.ThrowsAsync<InvalidOperationException>(() => echo.WaitForEventAsync("never", EventTimeout));

            await lab.DisposeAsync();
            Assert.True(sleeper.HasExited);
            var list = await NetnsListAsync();
            Assert.DoesNotContain(lab.Prefix, list, StringComparison.Ordinal);
        }
        finally
        {
            await lab.DisposeAsync();
        }

        // Idempotent.
        await lab.DisposeAsync();
    }

    [SkippableFact]
    public async Task WaitForEvent_times_out_with_the_captured_output()
    {
        RequireLab();
        await using var lab = await NetnsLab.CreateAsync();
        await using var quiet = lab.StartJsonLines(
            LabSide.A,
            "python3",
            ["-c", "import sys, time; print('{\"t\": 0, \"event\": \"started\"}', flush=True); print('oops', file=sys.stderr, flush=True); time.sleep(60)"]);
        await quiet.WaitForEventAsync("started", EventTimeout);
        var error = await Assert.ThrowsAsync<TimeoutException>(
            () => quiet.WaitForEventAsync("started", TimeSpan.FromMilliseconds(300), startIndex: quiet.Events.Count));
        Assert.Contains("oops", error.Message, StringComparison.Ordinal);
        Assert.Contains("\"started\"", error.Message, StringComparison.Ordinal);
    }

    private static void RequireLab()
    {
        Requirements.RequireNetnsLab("network namespace lab tests");
        Requirements.RequireCommand("python3");
    }

    private static JsonLinesProcess StartServer(NetnsLab lab) =>
        lab.StartJsonLines(LabSide.B, "python3", ["-c", EchoServer, lab.AddressB.ToString()]);

    private static JsonLinesProcess StartClient(NetnsLab lab, int port, int size, double timeoutSeconds, bool waitForStdin = false) =>
        lab.StartJsonLines(
            LabSide.A,
            "python3",
            [
                "-c", EchoClient, lab.AddressB.ToString(),
                port.ToString(CultureInfo.InvariantCulture),
                size.ToString(CultureInfo.InvariantCulture),
                timeoutSeconds.ToString(CultureInfo.InvariantCulture),
                waitForStdin ? "1" : "0",
            ]);

    private static int PortOf(JsonObject listening) => (int)listening["port"]!;

    private static async Task<string> QdiscAsync(NetnsLab lab, LabSide side) =>
        (await lab.RunInNamespaceAsync(lab.NamespaceOf(side), "tc", ["qdisc", "show", "dev", lab.InterfaceOf(side)])).Stdout;

    private static async Task<string> NetnsListAsync() =>
        (await ProcessRunner.RunAsync("ip", ["netns", "list"])).Stdout;

    private static async Task WaitForStateAsync(int pid, char expected)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        var state = '?';
        while (DateTime.UtcNow < deadline)
        {
            // /proc/<pid>/stat: "pid (comm) S ..."; the state follows the last ')'.
            var stat = await File.ReadAllTextAsync($"/proc/{pid}/stat");
            state = stat[(stat.LastIndexOf(')') + 2)..][0];
            if (state == expected)
            {
                return;
            }

            await Task.Delay(20);
        }

        Assert.Fail($"process {pid} is in state '{state}', expected '{expected}'");
    }
}
