// A listener that echoes every message on the default channel, and a connector that sends a few and prints the
// replies — then shows what a disconnect looks like. Copy from here: options, listener, connector, channels.
using System.Net;
using System.Text;
using Tether;
using Tether.Framing;
using Tether.Hosting;

var options = new TetherConnectionOptions
{
    KeepaliveInterval = TimeSpan.FromSeconds(5), // talk when our own outbound has been idle this long
    DeadTimeout = TimeSpan.FromSeconds(20),      // no inbound byte for this long => the peer is dead
};

await using var listener = TetherListener.Start(new IPEndPoint(IPAddress.Loopback, 0), options);
var serving = ServeAsync(listener);

await using (var connection = await TetherConnector.ConnectAsync(listener.LocalEndPoint, options))
{
    foreach (var text in new[] { "hello", "from", "tether" })
    {
        await connection.DefaultChannel.SendAsync(Encoding.UTF8.GetBytes(text));
        using var reply = (await connection.DefaultChannel.ReceiveAsync())!.Value;
        Console.WriteLine($"echo: {Encoding.UTF8.GetString(reply.Payload)}");
    }
}

// The server's side of the connection ended when the client closed it; its reason says how.
Console.WriteLine($"server saw: {await serving}");

static async Task<Disconnection> ServeAsync(TetherListener listener)
{
    await using var connection = await listener.AcceptAsync();
    while (await connection.DefaultChannel.ReceiveAsync() is { } message)
    {
        using (message)
        {
            await connection.DefaultChannel.SendAsync(message.Payload);
        }
    }

    return await connection.Disconnected;
}
