namespace Tether.Benchmarks.Throughput;

/// <summary>
/// A running one-way transfer: a send loop and a receive loop on the thread pool. Disposing it stops the sender,
/// lets the receiver drain to the end of the stream and closes both ends.
/// </summary>
internal abstract class Transfer : IAsyncDisposable
{
    private volatile bool _stopping;
    private Task _sending = Task.CompletedTask;
    private Task _receiving = Task.CompletedTask;

    protected Transfer(ThroughputSettings settings, DeliveryCounter delivered)
    {
        Settings = settings;
        Delivered = delivered;
    }

    protected ThroughputSettings Settings { get; }

    protected DeliveryCounter Delivered { get; }

    /// <summary>True once the sender should stop after its current message.</summary>
    protected bool Stopping => _stopping;

    public async ValueTask DisposeAsync()
    {
        _stopping = true;
        await Task.WhenAll(_sending, _receiving);
        await CloseAsync();
    }

    /// <summary>Starts both loops; called by the scenario once the connection is up.</summary>
    public void Start()
    {
        _receiving = Task.Run(ReceiveLoopAsync);
        _sending = Task.Run(SendLoopAsync);
    }

    /// <summary>Sends until <see cref="Stopping"/>, then ends the stream so the receive loop finishes.</summary>
    protected abstract Task SendLoopAsync();

    /// <summary>Receives to the end of the stream, adding every payload byte to <see cref="Delivered"/>.</summary>
    protected abstract Task ReceiveLoopAsync();

    /// <summary>Releases the connection once both loops have finished.</summary>
    protected abstract ValueTask CloseAsync();
}
