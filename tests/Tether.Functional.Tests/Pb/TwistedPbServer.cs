using System.Net;
using Tether.Functional.Tests.Infrastructure;
using Tether.Pb.Protocol;

namespace Tether.Functional.Tests.Pb;

/// <summary>Scripts/pb_server.py running as a child process, and a Tether PB connection to it.</summary>
internal sealed class TwistedPbServer : IAsyncDisposable
{
    private static readonly TimeSpan Startup = TimeSpan.FromSeconds(30);

    private TwistedPbServer(JsonLinesProcess process, int port)
    {
        Process = process;
        EndPoint = new IPEndPoint(IPAddress.Loopback, port);
    }

    public JsonLinesProcess Process { get; }

    public IPEndPoint EndPoint { get; }

    /// <summary>Starts the server in <paramref name="mode"/> ("root" or "portal") and waits until it listens.</summary>
    public static async Task<TwistedPbServer> StartAsync(string mode)
    {
        var python = TwistedPython.Require("PB interop with a Twisted server");
        var process = new JsonLinesProcess(
            System.Diagnostics.Process.Start(ProcessRunner.CreateStartInfo(python, [TwistedPython.Script("pb_server.py"), mode]))!,
            $"pb_server.py {mode}");
        try
        {
            var listening = await process.WaitForEventAsync("listening", Startup);
            return new TwistedPbServer(process, listening["port"]!.GetValue<int>());
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }
    }

    public Task<PbConnection> ConnectAsync() => PbConnection.ConnectAsync(EndPoint);

    public ValueTask DisposeAsync() => Process.DisposeAsync();
}
