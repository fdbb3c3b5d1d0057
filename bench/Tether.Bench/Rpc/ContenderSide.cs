namespace Tether.Bench.Rpc;

/// <summary>One contender in a run: its server process and this process's client connection to it.</summary>
internal sealed class ContenderSide : IAsyncDisposable
{
    private readonly IRpcContender _contender;
    private readonly ServerProcess _server;
    private readonly IRpcClient _client;

    private ContenderSide(IRpcContender contender, ServerProcess server, IRpcClient client)
    {
        _contender = contender;
        _server = server;
        _client = client;
    }

    public static async Task<ContenderSide> StartAsync(IRpcContender contender)
    {
        var server = await ServerProcess.StartAsync(contender);
        try
        {
            return new ContenderSide(contender, server, await contender.ConnectAsync(server.EndPoint));
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>Warms up, then measures <paramref name="workload"/> with the process costs of both ends.</summary>
    public async Task<RpcResult> MeasureAsync(RpcWorkload workload, TimeSpan warmup, TimeSpan duration)
    {
        if (warmup > TimeSpan.Zero)
        {
            await workload.Run(_client, warmup);
        }

        var clientBefore = ProcessStats.Take();
        var serverBefore = await _server.StatsAsync();
        var measured = await workload.Run(_client, duration);
        var serverUsed = (await _server.StatsAsync()).Since(serverBefore);
        var clientUsed = ProcessStats.Take().Since(clientBefore);
        return new RpcResult(_contender.Name, workload.Name, workload.Outstanding, measured.OpsPerSecond,
            measured.Latency?.PercentileMicroseconds(0.50), measured.Latency?.PercentileMicroseconds(0.99), _contender.Config,
            RpcCost.From(clientUsed, serverUsed, measured.Operations));
    }

    public async ValueTask DisposeAsync()
    {
        await _client.DisposeAsync();
        await _server.DisposeAsync();
    }
}
