using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Tether.Liveness;

namespace Tether.Benchmarks.Micro;

/// <summary>
/// One scan of the shared liveness heartbeat over many idle connections (keepalive 30 s, dead timeout 90 s). The clock
/// is frozen, so every tick sees the same state and the figure is the pure scan cost: no keepalive is due, nobody dies.
/// </summary>
/// <remarks>
/// <see cref="Scattered"/> = true puts 1 KiB of other objects between consecutive monitors, as a real heap does (each
/// connection owns a few KiB), so the scan pays the cache misses it pays in production instead of streaming through
/// densely packed monitors.
/// </remarks>
[MemoryDiagnoser]
[Config(typeof(Config))]
public class LivenessTickBenchmarks
{
    private readonly List<byte[]> _spacers = [];
    private LivenessHeartbeat _heartbeat = null!;

    [Params(100_000)]
    public int Monitors { get; set; }

    [Params(false, true)]
    public bool Scattered { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _heartbeat = new LivenessHeartbeat(TimeSpan.FromSeconds(1), new FrozenClock(), logger: null, autoStart: false);
        var peer = new IdlePeer();
        for (var i = 0; i < Monitors; i++)
        {
            _heartbeat.Register(peer, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(90));
            if (Scattered)
            {
                _spacers.Add(new byte[1024]);
            }
        }

        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _heartbeat.Dispose();
        _spacers.Clear();
    }

    [Benchmark]
    public void Tick() => _heartbeat.Tick();

    private sealed class Config : ManualConfig
    {
        public Config()
        {
            AddColumn(new DutyCycleColumn(TimeSpan.FromSeconds(1)), new DutyCycleColumn(LivenessHeartbeat.DefaultInterval));
        }
    }

    /// <summary>A clock that never moves: ticks are never late and no monitor ever falls due.</summary>
    private sealed class FrozenClock : TimeProvider
    {
        public override long GetTimestamp() => 1_000_000_000;
    }

    private sealed class IdlePeer : ILivenessPeer
    {
        public void SendKeepalive() => throw new InvalidOperationException("The clock is frozen: no keepalive can fall due.");

        public void DeclareDead(TimeSpan silence) => throw new InvalidOperationException("The clock is frozen: no peer can die.");
    }
}
