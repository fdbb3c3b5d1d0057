using System.Diagnostics;
using System.Globalization;
using System.Net;
using Tether.Bench.Hosting;

namespace Tether.Bench.Rpc;

/// <summary>The parent's handle on a <see cref="RpcServerChild"/>: starts it, asks for its statistics, stops it.</summary>
internal sealed class ServerProcess : IAsyncDisposable
{
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(10);
    private readonly Process _process;

    private ServerProcess(Process process, IPEndPoint endPoint)
    {
        _process = process;
        EndPoint = endPoint;
    }

    public IPEndPoint EndPoint { get; }

    public int ProcessId => _process.Id;

    public static async Task<ServerProcess> StartAsync(IRpcContender contender)
    {
        var process = SelfProcess.Start([RpcServerChild.CommandName, contender.Name]);
        var port = int.Parse(await SelfProcess.ExpectLineAsync(process, "listening "), CultureInfo.InvariantCulture);
        return new ServerProcess(process, new IPEndPoint(IPAddress.Loopback, port));
    }

    public async Task<ProcessStats> StatsAsync()
    {
        var reply = await SelfProcess.RequestAsync(_process, "stats");
        return reply.StartsWith("stats ", StringComparison.Ordinal)
            ? ProcessStats.Parse(reply["stats ".Length..])
            : throw new InvalidOperationException($"Unexpected reply from the server child: '{reply}'.");
    }

    public async ValueTask DisposeAsync() => await SelfProcess.StopAsync(_process, ExitTimeout);
}
