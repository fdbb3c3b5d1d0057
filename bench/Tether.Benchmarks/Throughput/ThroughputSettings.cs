namespace Tether.Benchmarks.Throughput;

/// <summary>How long and with what messages each throughput scenario runs.</summary>
/// <param name="Warmup">Run time before the measured window opens (JIT, tiering, TCP autotuning).</param>
/// <param name="Duration">The measured window.</param>
/// <param name="MessageSize">Bytes per message (per write for the socket baseline).</param>
/// <param name="InFlight">Sends the Tether sender keeps outstanding.</param>
internal sealed record ThroughputSettings(TimeSpan Warmup, TimeSpan Duration, int MessageSize, int InFlight);
