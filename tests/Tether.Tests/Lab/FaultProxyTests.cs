using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Tether.Lab.Netns;
using Tether.Lab.Proxy;
using Tether.Lab.Scenarios;

namespace Tether.Tests.Lab;

/// <summary>The user-space fault proxy on loopback: forwarding, counting, pacing, black hole, forgetting with a reset.</summary>
public sealed class FaultProxyTests : IAsyncLifetime
{
    private readonly Socket _server = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    private Socket? _accepted;

    public Task InitializeAsync()
    {
        _server.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _server.Listen();
        return Task.CompletedTask;
    }

    public Task DisposeAsync()
    {
        _accepted?.Dispose();
        _server.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Forwards_both_ways_and_counts_payload_bytes()
    {
        await using var proxy = FaultProxy.Start((IPEndPoint)_server.LocalEndPoint!, link: null, nat: null);
        using var client = await ConnectAsync(proxy);
        await client.SendAsync(new byte[1000]);
        Assert.Equal(1000, await ReceiveAsync(_accepted!, 1000));
        await _accepted!.SendAsync(new byte[500]);
        Assert.Equal(500, await ReceiveAsync(client, 500));
        Assert.Equal(1500, proxy.BytesForwarded);
    }

    [Fact]
    public async Task Paces_bytes_at_the_link_rate()
    {
        await using var proxy = FaultProxy.Start((IPEndPoint)_server.LocalEndPoint!, new LinkShape(56, TimeSpan.FromSeconds(1)), nat: null);
        using var client = await ConnectAsync(proxy);
        var clock = Stopwatch.StartNew();
        await client.SendAsync(new byte[7000]);
        Assert.Equal(7000, await ReceiveAsync(_accepted!, 7000));

        // 7000 bytes at 56 kbit/s take one second; unpaced loopback takes microseconds.
        Assert.InRange(clock.Elapsed.TotalSeconds, 0.8, 3);
    }

    [Fact]
    public async Task A_black_hole_swallows_bytes_silently()
    {
        await using var proxy = FaultProxy.Start((IPEndPoint)_server.LocalEndPoint!, link: null, nat: null);
        using var client = await ConnectAsync(proxy);
        proxy.Blackhole();
        await client.SendAsync(new byte[100]);
        await Assert.ThrowsAsync<TimeoutException>(() => ReceiveAsync(_accepted!, 1).WaitAsync(TimeSpan.FromMilliseconds(300)));
        Assert.Equal(0, proxy.BytesForwarded);
    }

    [Fact]
    public async Task A_forgetful_nat_that_answers_with_resets_resets_both_legs_on_the_next_byte()
    {
        await using var proxy = FaultProxy.Start((IPEndPoint)_server.LocalEndPoint!, link: null, new NatRouter(TimeSpan.FromHours(1), ForgottenConnectionResponse.Reset));
        using var client = await ConnectAsync(proxy);
        proxy.Forget();
        await client.SendAsync(new byte[1]);
        var error = await Assert.ThrowsAsync<SocketException>(() => ReceiveAsync(client, 1).WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal(SocketError.ConnectionReset, error.SocketErrorCode);
        var serverSide = await Assert.ThrowsAsync<SocketException>(() => ReceiveAsync(_accepted!, 1).WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal(SocketError.ConnectionReset, serverSide.SocketErrorCode);
    }

    [Fact]
    public async Task A_nat_forgets_an_idle_connection_after_its_timeout()
    {
        await using var proxy = FaultProxy.Start((IPEndPoint)_server.LocalEndPoint!, link: null, new NatRouter(TimeSpan.FromMilliseconds(200), ForgottenConnectionResponse.Drop));
        using var client = await ConnectAsync(proxy);
        await client.SendAsync(new byte[10]);
        Assert.Equal(10, await ReceiveAsync(_accepted!, 10));
        await Task.Delay(400);
        await client.SendAsync(new byte[10]);
        await Assert.ThrowsAsync<TimeoutException>(() => ReceiveAsync(_accepted!, 1).WaitAsync(TimeSpan.FromMilliseconds(300)));
    }

    private async Task<Socket> ConnectAsync(FaultProxy proxy)
    {
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(proxy.Endpoint);
        _accepted = await _server.AcceptAsync();
        return client;
    }

    private static async Task<int> ReceiveAsync(Socket socket, int bytes)
    {
        var buffer = new byte[bytes];
        var received = 0;
        while (received < bytes)
        {
            var read = await socket.ReceiveAsync(buffer.AsMemory(received));
            if (read == 0)
            {
                break;
            }

            received += read;
        }

        return received;
    }
}
