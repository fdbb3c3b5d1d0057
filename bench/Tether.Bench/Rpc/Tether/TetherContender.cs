using System.Net;
using Tether.Hosting;
using Tether.Remoting;

namespace Tether.Bench.Rpc.Tether;

/// <summary>Tether with its default options: a <see cref="TetherServer"/> and a <see cref="TetherClient"/>, typed proxies.</summary>
internal sealed class TetherContender : IRpcContender
{
    public string Name => "tether";

    public string Config =>
        "TetherServer/TetherClient with default options (keepalive 15 s, dead timeout 45 s, 32 KiB chunks, TCP_NODELAY, " +
        "TCP_NOTSENT_LOWAT 16 KiB adaptive); typed proxy RemoteReference.As<IBenchService>(); result a registered copyable " +
        $"record; callbacks: ITickSink reference passed as an argument, the server keeps {BenchData.CallbackWindow} answered callback calls in flight";

    public Task<IRpcServer> StartServerAsync()
    {
        var options = new TetherServerOptions { Endpoint = new IPEndPoint(IPAddress.Loopback, 0), Root = new TetherBenchService() };
        Register(options.Remoting);
        return Task.FromResult<IRpcServer>(new Server(TetherServer.Start(options)));
    }

    public async Task<IRpcClient> ConnectAsync(IPEndPoint server)
    {
        var options = new TetherClientOptions { Endpoint = server };
        Register(options.Remoting);
        var client = new TetherClient(options);
        var session = await client.ConnectAsync();
        return new Client(client, session.Root.As<IBenchService>());
    }

    private static void Register(RemotingOptions remoting) => remoting.Types.AddCopyable<SmallMessage>(nameof(SmallMessage));

    private sealed class Server(TetherServer server) : IRpcServer
    {
        public IPEndPoint EndPoint => server.LocalEndPoint;

        public ValueTask DisposeAsync() => server.DisposeAsync();
    }

    private sealed class Client(TetherClient client, IBenchService service) : IRpcClient
    {
        public async Task EchoAsync(int id)
        {
            var answer = await service.EchoAsync(id, BenchData.SmallText);
            BenchData.Verify(answer.Id == id, "echo id");
        }

        public async Task UploadAsync(byte[] payload) =>
            BenchData.Verify(await service.UploadAsync(payload) == payload.Length, "payload length");

        public async Task<long> ReceiveCallbacksAsync(TimeSpan duration)
        {
            var sink = new CountingSink();
            var sent = await service.TicksAsync(sink, (int)duration.TotalMilliseconds);
            BenchData.Verify(sink.Count == sent, "callback count");
            return sink.Count;
        }

        public ValueTask DisposeAsync() => client.DisposeAsync();
    }

    private sealed class CountingSink : ITickSink
    {
        private long _count;

        public long Count => Interlocked.Read(ref _count);

        public Task TickAsync(int id, string text)
        {
            Interlocked.Increment(ref _count);
            return Task.CompletedTask;
        }
    }
}
