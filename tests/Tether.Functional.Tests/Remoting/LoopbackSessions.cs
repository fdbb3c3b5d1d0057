using System.Net;
using Tether.Hosting;
using Tether.Remoting;

namespace Tether.Functional.Tests.Remoting;

/// <summary>Two sessions joined by a real TCP connection on loopback: a "server" exporting a root and a "client".</summary>
internal sealed class LoopbackSessions : IAsyncDisposable
{
    private LoopbackSessions(TetherSession server, TetherSession client)
    {
        Server = server;
        Client = client;
    }

    public TetherSession Server { get; }

    public TetherSession Client { get; }

    public static async Task<LoopbackSessions> StartAsync(object? serverRoot, Action<RemotingOptions>? configure = null, Action<RemotingOptions>? configureClient = null, Action<TetherConnectionOptions>? connection = null)
    {
        var connectionOptions = new TetherConnectionOptions();
        connection?.Invoke(connectionOptions);
        await using var listener = TetherListener.Start(new IPEndPoint(IPAddress.Loopback, 0), connectionOptions);
        var connecting = TetherConnector.ConnectAsync(listener.LocalEndPoint, connectionOptions);
        var accepted = await listener.AcceptAsync();
        var connected = await connecting;
        var serverOptions = new RemotingOptions();
        configure?.Invoke(serverOptions);
        var clientOptions = new RemotingOptions();
        (configureClient ?? configure)?.Invoke(clientOptions);
        return new LoopbackSessions(TetherSession.Start(accepted, serverOptions, serverRoot), TetherSession.Start(connected, clientOptions));
    }

    public async ValueTask DisposeAsync()
    {
        await Client.DisposeAsync();
        await Server.DisposeAsync();
    }
}
