using System.Net;
using Tether.Framing;
using Tether.Hosting;

namespace Tether.Bench.Idle;

/// <summary>Opening and tearing down many connections.</summary>
internal static class IdleConnections
{
    /// <summary>Opens <paramref name="count"/> connections, spread round-robin over <paramref name="targets"/>.</summary>
    public static async Task<TetherConnection[]> OpenAsync(IReadOnlyList<IPEndPoint> targets, int count, IdleSettings settings)
    {
        var connections = new TetherConnection[count];
        var options = settings.CreateOptions();
        await Parallel.ForAsync(0, count, new ParallelOptions { MaxDegreeOfParallelism = settings.Parallelism }, async (i, token) =>
            connections[i] = await TetherConnector.ConnectAsync(targets[i % targets.Count], options, token));
        return connections;
    }

    /// <summary>Aborts every connection (RST: quick, no TIME_WAIT) and waits for their loops to end.</summary>
    public static async Task AbortAllAsync(IEnumerable<TetherConnection> connections)
    {
        var all = connections.ToList();
        foreach (var connection in all)
        {
            connection.Abort("idle benchmark teardown");
        }

        await Task.WhenAll(all.Select(c => c.DisposeAsync().AsTask()));
    }

    /// <summary>How many of <paramref name="connections"/> are still open (a dropped idle connection is a bug).</summary>
    public static int CountOpen(IEnumerable<TetherConnection> connections) => connections.Count(c => !c.Disconnected.IsCompleted);
}
