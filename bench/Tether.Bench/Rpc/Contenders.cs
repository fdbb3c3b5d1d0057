using Tether.Bench.Cli;
using Tether.Bench.Rpc.Grpc;
using Tether.Bench.Rpc.JsonRpc;
using Tether.Bench.Rpc.SignalR;
using Tether.Bench.Rpc.Tether;

namespace Tether.Bench.Rpc;

/// <summary>The contenders <c>tether bench rpc</c> knows, by name.</summary>
internal static class Contenders
{
    public static IReadOnlyList<IRpcContender> All { get; } = [new TetherContender(), new GrpcContender(), new StreamJsonRpcContender(), new SignalRContender()];

    /// <exception cref="UsageException">No contender has that name.</exception>
    public static IRpcContender Find(string name) =>
        All.FirstOrDefault(c => c.Name == name)
        ?? throw new UsageException($"Unknown contender '{name}'. Known: {string.Join(", ", All.Select(c => c.Name))}.");
}
