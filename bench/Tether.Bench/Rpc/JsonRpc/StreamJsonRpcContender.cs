using System.Net;
using System.Net.Sockets;
using StreamJsonRpc;

namespace Tether.Bench.Rpc.JsonRpc;

/// <summary>
/// StreamJsonRpc over a plain TCP stream with its MessagePack formatter and length-prefixed framing
/// (<see cref="LengthHeaderMessageHandler"/>), the combination its documentation recommends for performance.
/// </summary>
internal sealed class StreamJsonRpcContender : IRpcContender
{
    public string Name => "streamjsonrpc";

    public string Config =>
        "StreamJsonRpc 2.26.150, MessagePackFormatter (MessagePack 2.5.307) with LengthHeaderMessageHandler over a " +
        "NetworkStream (TCP_NODELAY) on 127.0.0.1; InvokeAsync by method name, result a [MessagePackObject] class; " +
        "callbacks: server-to-client JSON-RPC notifications (NotifyAsync awaited per message, no answer)";

    public Task<IRpcServer> StartServerAsync()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return Task.FromResult<IRpcServer>(new Server(listener));
    }

    public async Task<IRpcClient> ConnectAsync(IPEndPoint server)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(server);
        var ticks = new NotificationCounter();
        var rpc = Attach(socket);
        rpc.AddLocalRpcMethod(JsonRpcBenchServer.TickNotification, new Action<int, string>(ticks.OnMessage));
        rpc.StartListening();
        return new Client(rpc, ticks);
    }

    private static StreamJsonRpc.JsonRpc Attach(Socket socket)
    {
        var stream = new NetworkStream(socket, ownsSocket: true);
        return new StreamJsonRpc.JsonRpc(new LengthHeaderMessageHandler(stream, stream, new MessagePackFormatter()));
    }

    private sealed class Server : IRpcServer
    {
        private readonly TcpListener _listener;
        private readonly Task _accepting;
        private readonly List<StreamJsonRpc.JsonRpc> _connections = [];

        public Server(TcpListener listener)
        {
            _listener = listener;
            _accepting = AcceptAsync();
        }

        public IPEndPoint EndPoint => (IPEndPoint)_listener.LocalEndpoint;

        public async ValueTask DisposeAsync()
        {
            _listener.Stop();
            await _accepting;
            foreach (var rpc in _connections)
            {
                rpc.Dispose();
            }
        }

        private async Task AcceptAsync()
        {
            try
            {
                while (true)
                {
                    var socket = await _listener.AcceptSocketAsync();
                    socket.NoDelay = true;
                    var rpc = Attach(socket);
                    rpc.AddLocalRpcTarget(new JsonRpcBenchServer(rpc));
                    rpc.StartListening();
                    _connections.Add(rpc);
                }
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                // Stopped.
            }
        }
    }

    private sealed class Client(StreamJsonRpc.JsonRpc rpc, NotificationCounter ticks) : IRpcClient
    {
        public async Task EchoAsync(int id)
        {
            var answer = await rpc.InvokeAsync<SmallReply>(JsonRpcBenchServer.EchoMethod, id, BenchData.SmallText);
            BenchData.Verify(answer.Id == id, "echo id");
        }

        public async Task UploadAsync(byte[] payload) =>
            BenchData.Verify(await rpc.InvokeAsync<int>(JsonRpcBenchServer.UploadMethod, payload) == payload.Length, "payload length");

        public Task<long> ReceiveCallbacksAsync(TimeSpan duration) =>
            ticks.CountAsync(() => rpc.InvokeAsync<long>(JsonRpcBenchServer.TicksMethod, (int)duration.TotalMilliseconds));

        public ValueTask DisposeAsync()
        {
            rpc.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
