using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Tether.Bench.Rpc;

/// <summary>A contender server that is an ASP.NET Core application on Kestrel (gRPC, SignalR).</summary>
internal sealed class WebServer : IRpcServer
{
    private readonly WebApplication _app;

    private WebServer(WebApplication app, IPEndPoint endPoint)
    {
        _app = app;
        EndPoint = endPoint;
    }

    public IPEndPoint EndPoint { get; }

    /// <summary>Starts <paramref name="app"/> (configured to listen on 127.0.0.1 port 0) and finds its port.</summary>
    public static async Task<IRpcServer> StartAsync(WebApplication app)
    {
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return new WebServer(app, new IPEndPoint(IPAddress.Loopback, new Uri(address).Port));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
