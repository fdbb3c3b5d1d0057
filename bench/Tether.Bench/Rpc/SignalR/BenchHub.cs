using Microsoft.AspNetCore.SignalR;
using Tether.Bench.Rpc.JsonRpc;

namespace Tether.Bench.Rpc.SignalR;

/// <summary>The SignalR server's hub: the three workloads.</summary>
internal sealed class BenchHub : Hub
{
    public const string Path = "/bench";
    public const string TickMethod = "Tick";

    public SmallReply Echo(int id, string text) => new() { Id = id, Text = text };

    public int Upload(byte[] data) => data.Length;

    /// <summary>Sends client-method invocations (no answer) for <paramref name="milliseconds"/>, each awaited until written.</summary>
    public async Task<long> Ticks(int milliseconds)
    {
        var deadline = Environment.TickCount64 + milliseconds;
        long sent = 0;
        while (Environment.TickCount64 < deadline)
        {
            await Clients.Caller.SendAsync(TickMethod, (int)sent, BenchData.SmallText);
            sent++;
        }

        return sent;
    }
}
