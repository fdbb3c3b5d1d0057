using System.Net;
using Tether.Framing;
using Tether.Hosting;
using Tether.Transport;

namespace Tether.Functional.Tests;

[Collection(FunctionalSerial.Name)]
public sealed class SocketOptionsTests
{
    [SkippableFact]
    public async Task Socket_options_are_set_from_the_options_and_read_back_on_both_ends()
    {
        var options = new TetherConnectionOptions
        {
            KeepaliveInterval = TimeSpan.FromSeconds(2),
            DeadTimeout = TimeSpan.FromSeconds(9),
            Transport = { NotSentLowWatermark = 16 * 1024 },
        };
        var (listener, client, server) = await LoopbackPairAsync(options);
        await using var listenerScope = listener;
        await using var clientScope = client;
        await using var serverScope = server;

        foreach (var connection in new[] { client, server })
        {
            var socket = ((SocketTransport)connection.Transport).Socket;
            var effective = TcpSocketConfigurator.ReadBack(socket);
            Assert.True(effective.NoDelay);
            Assert.True(effective.Keepalive);
            Assert.Equal(9, effective.KeepaliveIdleSeconds);
            Assert.Equal(3, effective.KeepaliveIntervalSeconds);
            Assert.Equal(3, effective.KeepaliveCount);
            if (OperatingSystem.IsLinux())
            {
                Assert.Equal(300_000, effective.UserTimeoutMilliseconds); // the 5-minute floor: 2 x 9 s is less
                Assert.Equal(16 * 1024, effective.NotSentLowWatermark);
            }
        }
    }

    [SkippableFact]
    public async Task Tcp_info_is_read_with_its_length_checked()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "TCP_INFO is Linux-only");
        var (listener, client, server) = await LoopbackPairAsync(new TetherConnectionOptions());
        await using var listenerScope = listener;
        await using var clientScope = client;
        await using var serverScope = server;
        await client.DefaultChannel.SendAsync(new byte[100_000]);
        using (var message = (await server.DefaultChannel.ReceiveAsync())!.Value)
        {
            Assert.Equal(100_000, message.Length);
        }

        var info = client.GetTcpInfo();
        Assert.NotNull(info);
        Assert.Equal(1, info.State); // ESTABLISHED
        Assert.True(info.RoundTripTime > TimeSpan.Zero);
        Assert.NotNull(info.BytesAcked);
        Assert.True(info.BytesAcked >= 100_000);
        Assert.NotNull(info.NotSentBytes);

        // A short buffer (an older kernel) yields nulls for the fields it does not cover, not garbage.
        var shortInfo = TcpInfo.Parse(new byte[120]);
        Assert.NotNull(shortInfo);
        Assert.Null(shortInfo.BytesAcked);
        Assert.Null(TcpInfo.Parse(new byte[50]));
    }

    [SkippableFact]
    public async Task The_unsent_limit_rises_with_the_delivery_rate_on_a_fast_link()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "TCP_NOTSENT_LOWAT and TCP_INFO are Linux-only");
        var (listener, client, server) = await LoopbackPairAsync(new TetherConnectionOptions());
        await using var listenerScope = listener;
        await using var clientScope = client;
        await using var serverScope = server;
        var transport = (SocketTransport)client.Transport;
        Assert.Equal(16 * 1024, transport.UnsentLimit);

        var reading = Task.Run(async () =>
        {
            while (await server.DefaultChannel.ReceiveAsync() is { } message)
            {
                message.Dispose();
            }
        });
        var payload = new byte[64 * 1024];
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (transport.UnsentLimit == 16 * 1024 && DateTime.UtcNow < deadline)
        {
            await client.DefaultChannel.SendAsync(payload);
        }

        // Loopback delivers gigabytes per second: 20 ms of that is far above the 16 KiB floor.
        Assert.True(transport.UnsentLimit > 16 * 1024, $"unsent limit stayed at {transport.UnsentLimit}");
        Assert.Equal(transport.UnsentLimit, TcpSocketConfigurator.ReadBack(transport.Socket).NotSentLowWatermark);
        _ = reading;
    }

    private static async Task<(TetherListener Listener, TetherConnection Client, TetherConnection Server)> LoopbackPairAsync(TetherConnectionOptions options)
    {
        var listener = TetherListener.Start(new IPEndPoint(IPAddress.Loopback, 0), options);
        var accepting = listener.AcceptAsync().AsTask();
        var client = await TetherConnector.ConnectAsync(listener.LocalEndPoint, options);
        return (listener, client, await accepting);
    }
}
