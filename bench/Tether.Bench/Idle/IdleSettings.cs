using System.Net;
using Tether.Hosting;

namespace Tether.Bench.Idle;

/// <summary>Shape of the idle benchmark: how many connections, their liveness settings, how they are opened.</summary>
/// <param name="Connections">Connections to open (pairs when both ends live in this process).</param>
/// <param name="KeepaliveInterval">Outbound idle time before a PING.</param>
/// <param name="DeadTimeout">Inbound silence before the peer is declared dead.</param>
/// <param name="Settle">Wait after the last connection opened, so handshake bursts end and buffers go back to the pool.</param>
/// <param name="Parallelism">Connects in flight at once.</param>
internal sealed record IdleSettings(int Connections, TimeSpan KeepaliveInterval, TimeSpan DeadTimeout, TimeSpan Settle, int Parallelism)
{
    /// <summary>Connections opened and closed before the baseline, so JIT, pools and statics are part of it.</summary>
    public const int WarmupConnections = 64;

    /// <summary>Connections per listener address: the loopback ephemeral port range holds about 28 000 per destination.</summary>
    private const int ConnectionsPerListener = 25_000;

    public int ListenerCount => (Connections + ConnectionsPerListener - 1) / ConnectionsPerListener;

    public TetherConnectionOptions CreateOptions() => new() { KeepaliveInterval = KeepaliveInterval, DeadTimeout = DeadTimeout };

    /// <summary>One listener per 25 000 connections, on 127.0.0.1, 127.0.0.2, ... (all loopback).</summary>
    public IReadOnlyList<TetherListener> StartListeners() =>
        [.. Enumerable.Range(1, ListenerCount).Select(i => TetherListener.Start(new IPEndPoint(new IPAddress([127, 0, 0, (byte)i]), 0), CreateOptions(), backlog: 4096))];
}
