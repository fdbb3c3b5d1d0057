using System.Net;
using Tether.Framing;
using Tether.Hosting;

namespace Tether.Benchmarks.Throughput;

/// <summary>
/// One Tether connection over loopback (listener and connector in this process): the connector sends messages on the
/// default channel keeping <see cref="ThroughputSettings.InFlight"/> sends outstanding, the listener side receives
/// and disposes each message at once.
/// </summary>
internal sealed class TetherScenario(string key, string description, Action<TetherConnectionOptions> configure) : IThroughputScenario
{
    public string Key => key;

    public string Description => description;

    public async Task<Transfer> StartAsync(ThroughputSettings settings, DeliveryCounter delivered)
    {
        var options = new TetherConnectionOptions();
        configure(options);
        await using var listener = TetherListener.Start(new IPEndPoint(IPAddress.Loopback, 0), options);
        var accepting = listener.AcceptAsync();
        var sender = await TetherConnector.ConnectAsync(listener.LocalEndPoint, options);
        var receiver = await accepting;
        var transfer = new TetherTransfer(sender, receiver, settings, delivered);
        transfer.Start();
        return transfer;
    }

    private sealed class TetherTransfer(TetherConnection sender, TetherConnection receiver, ThroughputSettings settings, DeliveryCounter delivered)
        : Transfer(settings, delivered)
    {
        protected override async Task SendLoopAsync()
        {
            // No cancellation token: a cancellable send is never pooled, and the steady state must not allocate.
            var channel = sender.DefaultChannel;
            var message = new byte[Settings.MessageSize];
            var inFlight = new Queue<ValueTask>(Settings.InFlight);
            while (!Stopping)
            {
                if (inFlight.Count == Settings.InFlight)
                {
                    await inFlight.Dequeue();
                }

                // Each queued ValueTask is awaited exactly once, in order; AsTask() would allocate per send.
#pragma warning disable CA2012
                inFlight.Enqueue(channel.SendAsync(message));
#pragma warning restore CA2012
            }

            while (inFlight.Count > 0)
            {
                await inFlight.Dequeue();
            }

            await channel.CompleteAsync();
        }

        protected override async Task ReceiveLoopAsync()
        {
            var channel = receiver.DefaultChannel;
            while (await channel.ReceiveAsync() is { } message)
            {
                Delivered.Add(message.Length);
                message.Dispose();
            }
        }

        protected override async ValueTask CloseAsync()
        {
            await sender.DisposeAsync();
            await receiver.DisposeAsync();
        }
    }
}
