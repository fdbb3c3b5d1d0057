namespace Tether.Bench.Idle;

/// <summary>Memory one variant of the idle benchmark measured, in total and per connection end.</summary>
/// <param name="Variant">Which process and which ends were measured.</param>
/// <param name="Connections">Connections open during the sample.</param>
/// <param name="ConnectionEnds">Connection objects the measured process held (2 per connection when both ends are in it).</param>
/// <param name="StillOpen">Connection ends still open at the sample (anything below <paramref name="ConnectionEnds"/> is a bug).</param>
/// <param name="Baseline">Memory before the connections were opened (after a warm-up).</param>
/// <param name="Loaded">Memory with all connections open and idle.</param>
internal sealed record IdleResult(string Variant, int Connections, int ConnectionEnds, int StillOpen, MemorySample Baseline, MemorySample Loaded)
{
    public long HeapDelta => Loaded.ManagedHeapBytes - Baseline.ManagedHeapBytes;

    public double HeapPerConnectionEnd => (double)HeapDelta / ConnectionEnds;

    public long WorkingSetDelta => Loaded.WorkingSetBytes - Baseline.WorkingSetBytes;

    public double WorkingSetPerConnectionEnd => (double)WorkingSetDelta / ConnectionEnds;

    /// <summary>Kernel TCP memory is system-wide and every connection has two sockets here, whichever process holds them.</summary>
    public double? KernelTcpPerSocket => Loaded.KernelTcpBytes - Baseline.KernelTcpBytes is { } delta ? (double)delta / (2 * Connections) : null;
}
