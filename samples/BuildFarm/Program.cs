using System.Diagnostics;
using System.Net;
using BuildFarm;

// A small build farm on Tether.
//   dotnet run --project samples/BuildFarm                 the demo: a master and three worker processes
//   dotnet run --project samples/BuildFarm master PORT     a master on 127.0.0.1:PORT
//   dotnet run --project samples/BuildFarm worker PORT NAME   a worker
var workers = new[] { "worker-1", "worker-2", "worker-3" };
if (args is ["worker", var workerPort, var workerName])
{
    await new Worker(workerName).RunAsync(new IPEndPoint(IPAddress.Loopback, int.Parse(workerPort, System.Globalization.CultureInfo.InvariantCulture)), CancellationToken.None);
    return 0;
}

var master = new Master(workers);
var port = args is ["master", var masterPort] ? int.Parse(masterPort, System.Globalization.CultureInfo.InvariantCulture) : 0;
await using var server = master.Start(new IPEndPoint(IPAddress.Loopback, port));
Program.Say($"master: listening on {server.LocalEndPoint}");
if (args is ["master", _])
{
    await Task.Delay(Timeout.Infinite);
}

// The demo: start the workers as processes, build on each, then kill one and watch the master notice.
var ready = new TaskCompletionSource();
master.WorkerReady += _ =>
{
    if (master.Workers.Count == workers.Length)
    {
        ready.TrySetResult();
    }
};
var processes = workers.Select(name => Process.Start(Program.Myself("worker", server.LocalEndPoint.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), name))!).ToList();
try
{
    await ready.Task.WaitAsync(TimeSpan.FromSeconds(30));
    await Task.WhenAll(workers.Select(w => master.BuildAsync(w, "make test")));
    Program.Say("master: killing worker-3's process to show how its loss is reported");
    var started = Stopwatch.StartNew();
    processes[2].Kill();
    while (master.Workers.Contains("worker-3"))
    {
        await Task.Delay(50);
    }

    Program.Say($"master: noticed after {started.Elapsed.TotalSeconds:0.00} s; {master.Workers.Count} workers left");

    if (OperatingSystem.IsLinux())
    {
        // A frozen worker sends nothing, not even a FIN: only silence tells. It is declared dead after the 4 s bound;
        // once thawed, it finds its connection gone, reconnects with backoff and logs in again.
        var back = new TaskCompletionSource();
        master.WorkerReady += name =>
        {
            if (name == "worker-2")
            {
                back.TrySetResult();
            }
        };
        Program.Say("master: freezing worker-2 (SIGSTOP) to show a silent peer detected within the bound");
        started.Restart();
        await Signal(processes[1], "STOP");
        while (master.Workers.Contains("worker-2"))
        {
            await Task.Delay(50);
        }

        Program.Say($"master: noticed after {started.Elapsed.TotalSeconds:0.00} s; thawing worker-2 (SIGCONT)");
        await Signal(processes[1], "CONT");
        await back.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Program.Say($"master: worker-2 is back; {master.Workers.Count} workers");
    }

    return 0;
}
finally
{
    foreach (var process in processes.Where(p => !p.HasExited))
    {
        process.Kill();
    }
}

/// <summary>Console output with a timestamp.</summary>
internal static partial class Program
{
    /// <summary>This program again, with other arguments (run as an app host or as <c>dotnet BuildFarm.dll</c>).</summary>
    public static ProcessStartInfo Myself(params string[] arguments) =>
        Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet"
            ? new ProcessStartInfo(Environment.ProcessPath!, [typeof(Program).Assembly.Location, .. arguments])
            : new ProcessStartInfo(Environment.ProcessPath!, arguments);

    private static async Task Signal(Process process, string signal)
    {
        using var kill = Process.Start("kill", [$"-{signal}", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        await kill.WaitForExitAsync();
    }

    private static readonly Stopwatch Clock = Stopwatch.StartNew();

    public static void Say(string line) => Console.WriteLine($"{Clock.Elapsed.TotalSeconds,7:0.00}  {line}");

    /// <summary>Demo passwords: derived from the name so master and worker processes agree without a config file.</summary>
    public static string PasswordOf(string worker) => $"secret-of-{worker}";
}
