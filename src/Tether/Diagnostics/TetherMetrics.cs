using System.Diagnostics.Metrics;

namespace Tether.Diagnostics;

/// <summary>
/// Tether's instruments, published on the <c>Tether</c> meter (listen with dotnet-counters, OpenTelemetry or a
/// <see cref="MeterListener"/>).
/// </summary>
public static class TetherMetrics
{
    /// <summary>The meter name.</summary>
    public const string MeterName = "Tether";

    internal static Meter Meter { get; } = new(MeterName, "1.0");

    /// <summary>Connections currently open (after handshake, until disconnect).</summary>
    public static UpDownCounter<long> ActiveConnections { get; } = Meter.CreateUpDownCounter<long>("tether.connections.active", "{connection}", "Open connections.");

    /// <summary>Connections that completed the handshake.</summary>
    public static Counter<long> ConnectionsOpened { get; } = Meter.CreateCounter<long>("tether.connections.opened", "{connection}", "Connections that completed the handshake.");

    /// <summary>Disconnects, tagged with <c>reason</c> (snake_case <see cref="DisconnectReason"/>).</summary>
    public static Counter<long> Disconnects { get; } = Meter.CreateCounter<long>("tether.disconnects", "{connection}", "Connections ended, by reason.");

    /// <summary>Keepalive heartbeats queued because an outbound direction was idle.</summary>
    public static Counter<long> PingsSent { get; } = Meter.CreateCounter<long>("tether.pings.sent", "{ping}", "Heartbeats sent by idle outbound directions.");

    /// <summary>Round-trip times measured by heartbeat echoes.</summary>
    public static Histogram<double> RoundTripTime { get; } = Meter.CreateHistogram<double>("tether.rtt", "s", "Round-trip time measured by PING/PONG.");

    /// <summary>Bytes written to transports.</summary>
    public static Counter<long> BytesSent { get; } = Meter.CreateCounter<long>("tether.bytes.sent", "By", "Bytes written to transports.");

    /// <summary>Bytes read from transports.</summary>
    public static Counter<long> BytesReceived { get; } = Meter.CreateCounter<long>("tether.bytes.received", "By", "Bytes read from transports.");
}
