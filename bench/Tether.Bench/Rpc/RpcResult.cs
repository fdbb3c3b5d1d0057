using System.Text.Json.Serialization;

namespace Tether.Bench.Rpc;

/// <summary>One contender × workload × concurrency, in the JSON form the issue fixes (keys exactly as named).</summary>
/// <param name="Contender">tether, grpc or streamjsonrpc.</param>
/// <param name="Workload">unary_small, payload_1mb or callbacks.</param>
/// <param name="Outstanding">Calls in flight at once (callbacks: 1, one subscription).</param>
/// <param name="OpsPerSecond">Completed calls (callbacks: messages received) per second.</param>
/// <param name="P50Microseconds">Median call latency (null for callbacks).</param>
/// <param name="P99Microseconds">99th percentile call latency (null for callbacks).</param>
/// <param name="Config">How the contender was configured.</param>
/// <param name="Cost">Client and server process use over the measured window, per operation (printed, not in the JSON).</param>
internal sealed record RpcResult(
    [property: JsonPropertyName("contender")] string Contender,
    [property: JsonPropertyName("workload")] string Workload,
    [property: JsonPropertyName("outstanding")] int Outstanding,
    [property: JsonPropertyName("ops_per_s")] double OpsPerSecond,
    [property: JsonPropertyName("p50_us")] double? P50Microseconds,
    [property: JsonPropertyName("p99_us")] double? P99Microseconds,
    [property: JsonPropertyName("config")] string Config,
    [property: JsonIgnore] RpcCost Cost);

/// <summary>What each process spent per operation during a measured window.</summary>
/// <param name="ClientBytesPerOp">Bytes allocated in the client process per operation.</param>
/// <param name="ServerBytesPerOp">Bytes allocated in the server process per operation.</param>
/// <param name="ClientCpuMicrosPerOp">Client CPU time per operation.</param>
/// <param name="ServerCpuMicrosPerOp">Server CPU time per operation.</param>
/// <param name="Gen0">Gen0 collections in client + server during the window.</param>
internal sealed record RpcCost(double ClientBytesPerOp, double ServerBytesPerOp, double ClientCpuMicrosPerOp, double ServerCpuMicrosPerOp, int Gen0)
{
    public static RpcCost From(ProcessStats client, ProcessStats server, long operations)
    {
        var ops = Math.Max(operations, 1);
        return new RpcCost((double)client.AllocatedBytes / ops, (double)server.AllocatedBytes / ops,
            client.Cpu.TotalMicroseconds / ops, server.Cpu.TotalMicroseconds / ops, client.Gen0 + server.Gen0);
    }
}
