using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Tether.Bench.Rpc.JsonRpc;

namespace Tether.Bench.Rpc.SignalR;

/// <summary>
/// ASP.NET Core SignalR with the MessagePack hub protocol over WebSockets, negotiation skipped: the configuration its
/// performance guidance points to.
/// </summary>
internal sealed class SignalRContender : IRpcContender
{
    private const int MaxMessageBytes = 4 * 1024 * 1024;

    public string Name => "signalr";

    public string Config =>
        "ASP.NET Core SignalR 10.0.12 on Kestrel (CreateSlimBuilder, logging off), MessagePack hub protocol, WebSockets " +
        $"only with negotiation skipped, MaximumReceiveMessageSize {MaxMessageBytes / 1024 / 1024} MiB; " +
        "Microsoft.AspNetCore.SignalR.Client 10.0.12, one HubConnection, InvokeAsync by name, result a " +
        "[MessagePackObject] class; callbacks: Clients.Caller.SendAsync from the hub method (awaited, no answer)";

    public async Task<IRpcServer> StartServerAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        builder.Services.AddSignalR(options => options.MaximumReceiveMessageSize = MaxMessageBytes).AddMessagePackProtocol();
        var app = builder.Build();
        app.UseWebSockets();
        app.MapHub<BenchHub>(BenchHub.Path, options => options.Transports = HttpTransportType.WebSockets);
        return await WebServer.StartAsync(app);
    }

    public async Task<IRpcClient> ConnectAsync(IPEndPoint server)
    {
        var connection = new HubConnectionBuilder()
            .WithUrl($"http://{server}{BenchHub.Path}", options =>
            {
                options.Transports = HttpTransportType.WebSockets;
                options.SkipNegotiation = true;
            })
            .AddMessagePackProtocol()
            .Build();
        var ticks = new NotificationCounter();
        connection.On<int, string>(BenchHub.TickMethod, ticks.OnMessage);
        await connection.StartAsync();
        return new Client(connection, ticks);
    }

    private sealed class Client(HubConnection connection, NotificationCounter ticks) : IRpcClient
    {
        public async Task EchoAsync(int id)
        {
            var answer = await connection.InvokeAsync<SmallReply>(nameof(BenchHub.Echo), id, BenchData.SmallText);
            BenchData.Verify(answer.Id == id, "echo id");
        }

        public async Task UploadAsync(byte[] payload) =>
            BenchData.Verify(await connection.InvokeAsync<int>(nameof(BenchHub.Upload), payload) == payload.Length, "payload length");

        public Task<long> ReceiveCallbacksAsync(TimeSpan duration) =>
            ticks.CountAsync(() => connection.InvokeAsync<long>(nameof(BenchHub.Ticks), (int)duration.TotalMilliseconds));

        public ValueTask DisposeAsync() => connection.DisposeAsync();
    }
}
