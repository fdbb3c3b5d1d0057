using System.Net;
using System.Net.Sockets;
using Tether.Transport;

namespace Tether.Benchmarks.Throughput;

/// <summary>
/// The baseline: a plain socket pair, the sender writing the same buffer to a <see cref="NetworkStream"/> in a loop
/// (one write outstanding), the receiver reading into a buffer of the same size. With <paramref name="socketOptions"/>
/// the sockets get exactly the options Tether applies, which separates the cost of the options from Tether's own.
/// </summary>
internal sealed class SocketPairScenario(string key, string description, TcpTransportOptions? socketOptions) : IThroughputScenario
{
    public string Key => key;

    public string Description => description;

    public async Task<Transfer> StartAsync(ThroughputSettings settings, DeliveryCounter delivered)
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var sender = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var accepting = listener.AcceptAsync();
        await sender.ConnectAsync(listener.LocalEndPoint!);
        var receiver = await accepting;
        foreach (var socket in new[] { sender, receiver })
        {
            if (socketOptions is null)
            {
                socket.NoDelay = true;
            }
            else
            {
                TcpSocketConfigurator.Apply(socket, socketOptions, new TetherConnectionOptions().DeadTimeout, logger: null);
            }
        }

        var transfer = new SocketPairTransfer(sender, receiver, settings, delivered);
        transfer.Start();
        return transfer;
    }

    private sealed class SocketPairTransfer(Socket sender, Socket receiver, ThroughputSettings settings, DeliveryCounter delivered)
        : Transfer(settings, delivered)
    {
        protected override async Task SendLoopAsync()
        {
            await using var stream = new NetworkStream(sender, ownsSocket: false);
            var buffer = new byte[Settings.MessageSize];
            while (!Stopping)
            {
                await stream.WriteAsync(buffer);
            }

            sender.Shutdown(SocketShutdown.Send);
        }

        protected override async Task ReceiveLoopAsync()
        {
            await using var stream = new NetworkStream(receiver, ownsSocket: false);
            var buffer = new byte[Settings.MessageSize];
            int read;
            while ((read = await stream.ReadAsync(buffer)) > 0)
            {
                Delivered.Add(read);
            }
        }

        protected override ValueTask CloseAsync()
        {
            sender.Dispose();
            receiver.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
