using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Tether.Bench.Cli;
using Tether.Bench.Hosting;
using Tether.Bench.Reporting;
using Tether.Bench.Rpc;

namespace Tether.Bench.Floor;

/// <summary>
/// <c>tether bench floor-calls</c>: the most small calls per second one loopback connection carries here, as a bound for
/// <c>tether bench rpc</c>'s unary_small. The client keeps N fixed-size requests outstanding on one socket and, for each
/// reply that arrives, sends a new request (all the replies of one read answered by one write); the server, in a
/// process of its own, writes back whatever it read in one write. Both are one thread in blocking reads and writes:
/// no framing, no serialization, no dispatch, no thread pool, perfect batching.
/// </summary>
internal static class CallFloor
{
    public const string Usage = "floor-calls [--outstanding 1,16,256] [--size BYTES (64)] [--duration DUR (5s)]";

    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        var parsed = BenchArguments.Parse(args, "--outstanding", "--size", "--duration");
        var levels = parsed.GetList("--outstanding", "1,16,256").Select(l => int.Parse(l, CultureInfo.InvariantCulture)).ToList();
        var size = parsed.GetInt("--size", 64);
        var duration = parsed.GetDuration("--duration", TimeSpan.FromSeconds(5));
        Console.WriteLine($"# Call floor: {size}-byte requests and replies on one loopback connection, blocking echo server in a child process, {duration.TotalSeconds:0.#} s per level");
        Console.WriteLine($"Machine: {MachineInfo.Current}");

        var server = SelfProcess.Start([CallFloorServerChild.CommandName]);
        try
        {
            var endpoint = IPEndPoint.Parse(await SelfProcess.ExpectLineAsync(server, "listening "));
            var table = new MarkdownTable("outstanding", "calls/s", "client CPU µs/call", "server CPU µs/call");
            foreach (var outstanding in levels)
            {
                var serverBefore = ServerCpu(await SelfProcess.RequestAsync(server, "stats"));
                var (calls, elapsed, clientCpu) = await Task.Factory.StartNew(() => Drive(endpoint, outstanding, size, duration), TaskCreationOptions.LongRunning);
                var serverCpu = ServerCpu(await SelfProcess.RequestAsync(server, "stats")) - serverBefore;
                table.Add(Units.Count(outstanding), Units.Count((long)(calls / elapsed.TotalSeconds)),
                    Units.Fixed(clientCpu.TotalMicroseconds / calls, 2), Units.Fixed(serverCpu.TotalMicroseconds / calls, 2));
            }

            Console.WriteLine();
            Console.WriteLine(table);
            return 0;
        }
        finally
        {
            await SelfProcess.StopAsync(server, TimeSpan.FromSeconds(10));
        }
    }

    private static TimeSpan ServerCpu(string stats) => ProcessStats.Parse(stats["stats ".Length..]).Cpu;

    /// <summary>Keeps <paramref name="outstanding"/> requests in flight for <paramref name="duration"/>, then drains them.</summary>
    /// <returns>Calls answered within the duration, the duration as measured, and this process's CPU over the whole run.</returns>
    internal static (long Calls, TimeSpan Elapsed, TimeSpan Cpu) Drive(IPEndPoint server, int outstanding, int size, TimeSpan duration)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        socket.Connect(server);
        var requests = new byte[outstanding * size];
        var buffer = new byte[Math.Max(64 * 1024, requests.Length)];
        var cpu = ProcessStats.Take().Cpu;
        var started = Stopwatch.GetTimestamp();
        socket.Send(requests);
        long inFlight = outstanding, answered = 0, partial = 0;
        (long Calls, TimeSpan Elapsed)? measured = null;
        while (inFlight > 0)
        {
            var read = socket.Receive(buffer);
            if (read == 0)
            {
                throw new InvalidOperationException("The floor's echo server closed the connection.");
            }

            var replies = (partial + read) / size;
            partial = (partial + read) % size;
            answered += replies;
            inFlight -= replies;
            if (measured is null && Stopwatch.GetElapsedTime(started) >= duration)
            {
                measured = (answered, Stopwatch.GetElapsedTime(started));
            }

            if (measured is null && replies > 0)
            {
                socket.Send(requests.AsSpan(0, (int)replies * size));
                inFlight += replies;
            }
        }

        var (calls, elapsed) = measured!.Value;
        return (calls, elapsed, (ProcessStats.Take().Cpu - cpu) * calls / answered);
    }
}

/// <summary>
/// The call floor's server (<c>floor-call-server</c>): prints <c>listening EP</c> and echoes each connection on a thread
/// of its own with blocking reads and writes; answers <c>stats</c> with its <see cref="ProcessStats"/> until <c>exit</c>.
/// </summary>
internal static class CallFloorServerChild
{
    public const string CommandName = "floor-call-server";

    public static async Task<int> RunAsync()
    {
        using var listener = Listen();
        Console.WriteLine($"listening {listener.LocalEndPoint}");
        while (await Console.In.ReadLineAsync() is { } line && line != "exit")
        {
            Console.WriteLine(line == "stats" ? "stats " + ProcessStats.Take().Format() : $"error unknown command '{line}'");
        }

        return 0;
    }

    /// <summary>Listens on loopback and echoes every connection it accepts until the returned socket is disposed.</summary>
    internal static Socket Listen()
    {
        var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(16);
        new Thread(() => Accept(listener)) { IsBackground = true, Name = "floor echo acceptor" }.Start();
        return listener;
    }

    private static void Accept(Socket listener)
    {
        try
        {
            while (true)
            {
                var connection = listener.Accept();
                connection.NoDelay = true;
                new Thread(() => Echo(connection)) { IsBackground = true, Name = "floor echo" }.Start();
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // The listener was closed: the process is exiting.
        }
    }

    private static void Echo(Socket connection)
    {
        using (connection)
        {
            var buffer = new byte[256 * 1024];
            try
            {
                for (int read; (read = connection.Receive(buffer)) > 0;)
                {
                    connection.Send(buffer.AsSpan(0, read));
                }
            }
            catch (SocketException)
            {
                // The client went away.
            }
        }
    }
}
