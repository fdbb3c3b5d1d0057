using System.Diagnostics.Metrics;
using Tether.Diagnostics;

namespace Tether.Remoting;

/// <summary>
/// Process-wide totals of every session's tables, published on the <c>Tether</c> meter and read by the leak tests:
/// after all connections end, every one of them must be back to zero.
/// </summary>
internal static class RemotingCounters
{
    public static Gauge Sessions { get; } = new("tether.remoting.sessions", "{session}", "Sessions not yet ended.");

    public static Gauge Exports { get; } = new("tether.remoting.exports", "{object}", "Objects exported to peers.");

    public static Gauge Imports { get; } = new("tether.remoting.imports", "{reference}", "Live references to peers' objects.");

    public static Gauge OutstandingCalls { get; } = new("tether.remoting.calls.outstanding", "{call}", "Calls waiting for answers.");

    public static Gauge IncomingCalls { get; } = new("tether.remoting.calls.running", "{call}", "Peers' calls running here.");

    public static Gauge Observers { get; } = new("tether.remoting.observers", "{observer}", "Replicas peers hold of local cacheables.");

    public static Gauge Replicas { get; } = new("tether.remoting.replicas", "{replica}", "Replicas held of peers' cacheables.");

    public static Gauge Notifiers { get; } = new("tether.remoting.notifiers", "{callback}", "Disconnect notifiers waiting.");

    /// <summary>A count kept with Interlocked and observed by the meter.</summary>
    internal sealed class Gauge
    {
        private long _value;

        public Gauge(string name, string unit, string description)
        {
            TetherMetrics.Meter.CreateObservableUpDownCounter(name, () => Value, unit, description);
        }

        public long Value => Interlocked.Read(ref _value);

        public void Add(long delta) => Interlocked.Add(ref _value, delta);
    }
}
