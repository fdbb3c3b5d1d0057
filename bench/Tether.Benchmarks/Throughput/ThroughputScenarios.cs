using Tether.Transport;

namespace Tether.Benchmarks.Throughput;

/// <summary>The scenarios <c>throughput</c> knows, in the order they run by default.</summary>
internal static class ThroughputScenarios
{
    public static IReadOnlyList<IThroughputScenario> All { get; } =
    [
        new SocketPairScenario("socket", "plain socket pair, NetworkStream (NoDelay)", socketOptions: null),
        new SocketPairScenario("socket-tether-opts", "socket pair with Tether's socket options (NOTSENT_LOWAT 16 KiB, keepalive, USER_TIMEOUT)", new TcpTransportOptions()),
        new TetherScenario("tether-32k", "Tether, ChunkSize 32 KiB (default options)", _ => { }),
        new TetherScenario("tether-64k", "Tether, ChunkSize 64 KiB", o => o.ChunkSize = 64 * 1024),
        new TetherScenario("tether-64k-nolowat", "Tether, ChunkSize 64 KiB, NOTSENT_LOWAT off", o =>
        {
            o.ChunkSize = 64 * 1024;
            o.Transport.NotSentLowWatermark = null;
        }),
        new TetherScenario("tether-64k-rcv256k", "Tether, ChunkSize 64 KiB, ReceiveBufferBytes 256 KiB", o =>
        {
            o.ChunkSize = 64 * 1024;
            o.Transport.ReceiveBufferBytes = 256 * 1024;
        }),

        // Not a recommended setting (control frames could wait behind 256 KiB): it shows what bigger socket writes and
        // reads buy, because the write loop's byte budget per write is one chunk.
        new TetherScenario("tether-256k", "Tether, ChunkSize = MaxFramePayload = ReceiveBufferBytes = 256 KiB (4 messages per write)", o =>
        {
            o.ChunkSize = 256 * 1024;
            o.MaxFramePayload = 256 * 1024;
            o.Transport.ReceiveBufferBytes = 256 * 1024;
        }),
    ];

    /// <summary>The scenarios named in a comma-separated list, or all of them.</summary>
    public static IReadOnlyList<IThroughputScenario> Select(string? keys)
    {
        if (keys is null)
        {
            return All;
        }

        return [.. keys.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(key =>
            All.FirstOrDefault(s => s.Key == key)
            ?? throw new Tether.Bench.Cli.UsageException($"Unknown scenario '{key}'. Known: {string.Join(", ", All.Select(s => s.Key))}."))];
    }
}
