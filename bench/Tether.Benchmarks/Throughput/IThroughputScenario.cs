namespace Tether.Benchmarks.Throughput;

/// <summary>One way of moving bytes from a sender to a receiver over loopback TCP inside this process.</summary>
internal interface IThroughputScenario
{
    /// <summary>Short name used by <c>--scenarios</c> and in the JSON.</summary>
    string Key { get; }

    /// <summary>What the scenario runs, for the result table.</summary>
    string Description { get; }

    /// <summary>Connects both ends and starts the transfer.</summary>
    Task<Transfer> StartAsync(ThroughputSettings settings, DeliveryCounter delivered);
}
