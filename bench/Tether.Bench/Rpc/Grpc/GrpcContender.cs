using System.Net;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Tether.Bench.Rpc.Grpc.Generated;

namespace Tether.Bench.Rpc.Grpc;

/// <summary>
/// grpc-dotnet: Grpc.AspNetCore on Kestrel, HTTP/2 over cleartext (prior knowledge), and Grpc.Net.Client over one
/// HTTP/2 connection, set up as the gRPC performance guidance says: one reused channel, flow-control windows raised for
/// large messages, logging off.
/// </summary>
internal sealed class GrpcContender : IRpcContender
{
    /// <summary>Above the 256 outstanding calls of the largest level, so every call is a live stream on one connection.</summary>
    private const int MaxStreams = 1024;

    /// <summary>HTTP/2 flow-control windows, raised so a 1 MB message is not throttled by the 64 KiB/768 KiB defaults.</summary>
    private const int WindowBytes = 4 * 1024 * 1024;

    private const int MaxMessageBytes = 4 * 1024 * 1024;

    public string Name => "grpc";

    public string Config =>
        "Grpc.AspNetCore 2.85.0 on Kestrel (CreateSlimBuilder, logging off), HTTP/2 cleartext on 127.0.0.1, " +
        $"Http2.MaxStreamsPerConnection {MaxStreams}, connection and stream windows {WindowBytes / 1024 / 1024} MiB; " +
        "Grpc.Net.Client 2.85.0, one GrpcChannel over SocketsHttpHandler with EnableMultipleHttp2Connections=false " +
        $"(all calls on one connection), InitialHttp2StreamWindowSize {WindowBytes / 1024 / 1024} MiB, protobuf messages " +
        "(bytes field wrapped without a copy); callbacks: one server-streaming call, messages read with MoveNext";

    public async Task<IRpcServer> StartServerAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(IPAddress.Loopback, 0, listen => listen.Protocols = HttpProtocols.Http2);
            kestrel.Limits.Http2.MaxStreamsPerConnection = MaxStreams;
            kestrel.Limits.Http2.InitialConnectionWindowSize = WindowBytes;
            kestrel.Limits.Http2.InitialStreamWindowSize = WindowBytes;
            kestrel.Limits.MaxRequestBodySize = null;
        });
        builder.Services.AddGrpc(options => options.MaxReceiveMessageSize = MaxMessageBytes);
        var app = builder.Build();
        app.MapGrpcService<GrpcBenchService>();
        return await WebServer.StartAsync(app);
    }

    public async Task<IRpcClient> ConnectAsync(IPEndPoint server)
    {
        var channel = GrpcChannel.ForAddress($"http://{server}", new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler
            {
                EnableMultipleHttp2Connections = false,
                PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
                InitialHttp2StreamWindowSize = WindowBytes,
            },
            MaxReceiveMessageSize = MaxMessageBytes,
            MaxSendMessageSize = MaxMessageBytes,
        });
        await channel.ConnectAsync();
        return new Client(channel, new BenchService.BenchServiceClient(channel));
    }

    private sealed class Client(GrpcChannel channel, BenchService.BenchServiceClient service) : IRpcClient
    {
        public async Task EchoAsync(int id)
        {
            var answer = await service.EchoAsync(new SmallMessage { Id = id, Text = BenchData.SmallText });
            BenchData.Verify(answer.Id == id, "echo id");
        }

        public async Task UploadAsync(byte[] payload)
        {
            var answer = await service.UploadAsync(new Payload { Data = GrpcBenchService.ToByteString(payload) });
            BenchData.Verify(answer.Value == payload.Length, "payload length");
        }

        public async Task<long> ReceiveCallbacksAsync(TimeSpan duration)
        {
            using var call = service.Ticks(new TickRequest { Milliseconds = (int)duration.TotalMilliseconds });
            long count = 0;
            while (await call.ResponseStream.MoveNext(CancellationToken.None))
            {
                count++;
            }

            return count;
        }

        public ValueTask DisposeAsync()
        {
            channel.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
