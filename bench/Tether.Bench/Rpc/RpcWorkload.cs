using System.Diagnostics;

namespace Tether.Bench.Rpc;

/// <summary>What one measured window produced.</summary>
/// <param name="Operations">Completed operations (callbacks: messages received).</param>
/// <param name="Elapsed">Wall time of the window.</param>
/// <param name="Latency">Per-call latency, or null where a call is not the unit (callbacks).</param>
internal sealed record Measurement(long Operations, TimeSpan Elapsed, LatencyHistogram? Latency)
{
    public double OpsPerSecond => Operations / Elapsed.TotalSeconds;
}

/// <summary>One workload at one concurrency, runnable against any contender's client.</summary>
/// <param name="Name">The JSON name: unary_small, payload_1mb or callbacks.</param>
/// <param name="Outstanding">Calls in flight at once.</param>
/// <param name="Run">Runs it for a duration.</param>
internal sealed record RpcWorkload(string Name, int Outstanding, Func<IRpcClient, TimeSpan, Task<Measurement>> Run)
{
    private static readonly byte[] Payload = CreatePayload();

    /// <summary>Every workload of the issue, in run order.</summary>
    public static IReadOnlyList<RpcWorkload> All { get; } =
    [
        Unary(1),
        Unary(16),
        Unary(256),
        new("payload_1mb", 1, (client, duration) => Drive(_ => client.UploadAsync(Payload), 1, duration)),
        new("callbacks", 1, async (client, duration) =>
        {
            var started = Stopwatch.GetTimestamp();
            var received = await client.ReceiveCallbacksAsync(duration);
            return new Measurement(received, Stopwatch.GetElapsedTime(started), null);
        }),
    ];

    private static RpcWorkload Unary(int outstanding) =>
        new("unary_small", outstanding, (client, duration) => Drive(client.EchoAsync, outstanding, duration));

    private static async Task<Measurement> Drive(Func<int, Task> operation, int outstanding, TimeSpan duration)
    {
        var (completed, elapsed, latency) = await LoadDriver.RunAsync(operation, outstanding, duration);
        return new Measurement(completed, elapsed, latency);
    }

    private static byte[] CreatePayload()
    {
        var payload = new byte[BenchData.PayloadBytes];
        new Random(6).NextBytes(payload);
        return payload;
    }
}
