using System.CommandLine;
using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Tether.Cli.Demo;

/// <summary>
/// <c>tether demo</c>: the project's promise in a few seconds. Two real processes on loopback move payloads both ways
/// with a short dead timeout, then the listener is frozen (SIGSTOP) and the connector must call it dead within the
/// bound — a connection that never lies. Narrated in plain text.
/// </summary>
internal static class DemoCommand
{
    private const int KeepaliveSeconds = 1;
    private const int DeadTimeoutSeconds = 3;
    private static readonly TimeSpan Step = TimeSpan.FromSeconds(60);

    public static Command Create()
    {
        var size = new Option<string>("--size") { Description = "Bytes to upload and to download (e.g. 64MB).", DefaultValueFactory = _ => "64MB" };
        var command = new Command("demo", "Two peers on loopback: transfers both ways, then a frozen peer detected within the dead timeout.") { size };
        command.SetAction((parse, cancellationToken) => RunAsync(parse.GetValue(size)!));
        return command;
    }

    private static async Task<int> RunAsync(string size)
    {
        var liveness = new[] { "--keepalive", $"{KeepaliveSeconds}s", "--dead-timeout", $"{DeadTimeoutSeconds}s" };
        Say($"Tether demo: keepalive {KeepaliveSeconds} s, dead timeout {DeadTimeoutSeconds} s (detection bound {DeadTimeoutSeconds + 0.25:0.00} s).");
        await using var listener = ChildPeer.Start(["peer", "listen", "--endpoint", "127.0.0.1:0", .. liveness]);
        var endpoint = (await listener.WaitForAsync("listening", Step))["endpoint"]!.GetValue<string>();
        Say($"listener up on {endpoint}");

        await using var connector = ChildPeer.Start(["peer", "connect", "--endpoint", endpoint, .. liveness, "--upload", size, "--download", size, "--hold", "120s"]);
        await connector.WaitForAsync("connected", Step);
        for (var i = 0; i < 2; i++)
        {
            var done = await connector.WaitForAsync("completed", Step);
            var seconds = done["seconds"]?.GetValue<double>() ?? double.NaN;
            var bytes = done["bytes"]!.GetValue<long>();
            Say($"{done["direction"]} of {bytes / 1048576.0:0.#} MiB confirmed intact (sha256 {done["sha256"]!.GetValue<string>()[..16]}...) in {seconds:0.00} s");
        }

        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
        {
            Say("freezing a process needs SIGSTOP (Linux, macOS); skipping the dead-peer step on this platform.");
            return ExitCodes.Success;
        }

        Say("freezing the listener (SIGSTOP): its kernel still ACKs, but the process says nothing...");
        var frozen = Stopwatch.StartNew();
        listener.Signal("STOP");
        var lost = await connector.WaitForAsync("disconnected", Step);
        var detected = frozen.Elapsed.TotalSeconds;
        Say($"connector: {Describe(lost)} after {detected:0.000} s (bound: dead timeout + one 0.25 s tick = {DeadTimeoutSeconds + 0.25:0.00} s)");
        listener.Signal("CONT");
        return lost["reason"]?.GetValue<string>() == "dead_peer" ? ExitCodes.Success : ExitCodes.ConnectionLost;
    }

    private static string Describe(JsonObject disconnected) =>
        $"{disconnected["reason"]} ({disconnected["detail"]})";

    private static void Say(string line) => Console.Out.WriteLine(line);
}
