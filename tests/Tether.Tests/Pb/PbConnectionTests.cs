using System.Net;
using System.Net.Sockets;
using Tether.Pb;
using Tether.Pb.Banana;
using Tether.Pb.Jelly;
using Tether.Pb.Protocol;

namespace Tether.Tests.Pb;

/// <summary>PbConnection against a scripted server written with the codec, over loopback TCP.</summary>
public sealed class PbConnectionTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);
    private static readonly JellySerializer Jelly = new();

    [Fact]
    public async Task Negotiates_like_a_Twisted_client_plain_choice_then_version_in_the_pb_dialect()
    {
        await using var server = await ScriptedServer.StartAsync();
        var connecting = PbConnection.ConnectAsync(server.EndPoint);
        var peer = await server.AcceptAsync();

        await peer.SendAsync(new List<object> { "pb"u8.ToArray(), "none"u8.ToArray() });
        Assert.Equal("b'pb'", PbRepr.Format(await peer.ReadAsync()));
        peer.UsePbDialect();
        Assert.Equal("[b'version', 6]", PbRepr.Format(await peer.ReadAsync()));
        await peer.SendAsync(PbMessageCodec.Encode(new PbVersion(6)));

        await using var connection = await connecting.WaitAsync(Bound);
        Assert.False(connection.Closed.IsCompleted);
    }

    [Theory]
    [InlineData("none", 6)]
    [InlineData("pb", 5)]
    public async Task A_server_without_the_pb_dialect_or_version_6_is_refused(string dialect, long version)
    {
        await using var server = await ScriptedServer.StartAsync();
        var connecting = PbConnection.ConnectAsync(server.EndPoint);
        var peer = await server.AcceptAsync();
        await peer.SendAsync(new List<object> { System.Text.Encoding.ASCII.GetBytes(dialect) });
        if (dialect == "pb")
        {
            await peer.ReadAsync();
            peer.UsePbDialect();
            await peer.ReadAsync();
            await peer.SendAsync(PbMessageCodec.Encode(new PbVersion(version)));
        }

        await Assert.ThrowsAsync<PbProtocolException>(() => connecting.WaitAsync(Bound));
    }

    [Fact]
    public async Task A_banana_violation_closes_the_connection_and_fails_each_outstanding_call_once()
    {
        await using var server = await ScriptedServer.StartAsync();
        var (connection, peer) = await ConnectAsync(server);
        await using var _ = connection;
        var failures = 0;
        var calls = Enumerable.Range(0, 3)
            .Select(i => connection.Root.CallRemoteAsync("wait", i).ContinueWith(t => Interlocked.Add(ref failures, t.IsFaulted ? 1 : 100), TaskScheduler.Default))
            .ToList();
        for (var i = 0; i < 3; i++)
        {
            await peer.ReadAsync();
        }

        await peer.SendRawAsync([0x01, 0x88]);

        Assert.IsType<BananaException>(await connection.Closed.WaitAsync(Bound));
        await Task.WhenAll(calls).WaitAsync(Bound);
        Assert.Equal(3, failures);
        var late = await Assert.ThrowsAsync<PbConnectionLostException>(() => connection.Root.CallRemoteAsync("more"));
        Assert.IsType<BananaException>(late.InnerException);
    }

    [Fact]
    public async Task Unknown_commands_get_didNotUnderstand_and_calls_to_unexported_ids_get_PBs_invalid_object_error()
    {
        await using var server = await ScriptedServer.StartAsync();
        var (connection, peer) = await ConnectAsync(server);
        await using var _ = connection;

        await peer.SendAsync(PythonLiteral.Parse("[b'frobnicate', 1]"));
        Assert.Equal("[b'didNotUnderstand', b'frobnicate']", PbRepr.Format(await peer.ReadAsync()));

        await peer.SendAsync(PbMessageCodec.Encode(new PbCall(9, PbObjectId.FromNumber(1), "anything", true, Jelly.Jelly(new PbTuple()), Jelly.Jelly(new Dictionary<string, object?>()))));
        var error = Assert.IsType<PbError>(PbMessageCodec.Decode(await peer.ReadAsync()));
        Assert.Equal(9, error.RequestId);
        var failure = Assert.IsType<PbFailure>(Jelly.Unjelly(error.Failure));
        Assert.Equal(("twisted.spread.pb.Error", "Invalid Object ID"), (failure.Type, failure.Value));
        Assert.False(connection.Closed.IsCompleted);
    }

    [Fact]
    public async Task An_answer_to_no_outstanding_request_is_a_protocol_violation()
    {
        await using var server = await ScriptedServer.StartAsync();
        var (connection, peer) = await ConnectAsync(server);
        await using var _ = connection;

        await peer.SendAsync(PbMessageCodec.Encode(new PbAnswer(42, 1L)));

        Assert.IsType<PbProtocolException>(await connection.Closed.WaitAsync(Bound));
    }

    [Fact]
    public async Task A_cancelled_call_completes_cancelled_and_its_late_answer_is_dropped()
    {
        await using var server = await ScriptedServer.StartAsync();
        var (connection, peer) = await ConnectAsync(server);
        await using var _ = connection;
        using var cancellation = new CancellationTokenSource();

        var call = connection.Root.CallRemoteAsync("slow", [], null, cancellation.Token);
        var request = Assert.IsType<PbCall>(PbMessageCodec.Decode(await peer.ReadAsync()));
        await cancellation.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);

        await peer.SendAsync(PbMessageCodec.Encode(new PbAnswer(request.RequestId, 1L)));
        var next = connection.Root.CallRemoteAsync("next");
        var nextRequest = Assert.IsType<PbCall>(PbMessageCodec.Decode(await peer.ReadAsync()));
        await peer.SendAsync(PbMessageCodec.Encode(new PbAnswer(nextRequest.RequestId, 2L)));
        Assert.Equal(2L, await next.WaitAsync(Bound));
    }

    [Fact]
    public async Task Arguments_that_cannot_be_sent_fail_the_call_without_sending_it()
    {
        await using var server = await ScriptedServer.StartAsync();
        var (connection, peer) = await ConnectAsync(server);
        await using var _ = connection;

        var call = connection.Root.CallRemoteAsync("take", new object());
        Assert.True(call.IsFaulted);
        await Assert.ThrowsAsync<ArgumentException>(() => call);

        var tooLong = connection.Root.CallRemoteAsync("take", new byte[BananaOptions.DefaultSizeLimit + 1]);
        await Assert.ThrowsAsync<ArgumentException>(() => tooLong.WaitAsync(Bound));

        var ok = connection.Root.CallRemoteAsync("take", 1);
        Assert.Equal("take", Assert.IsType<PbCall>(PbMessageCodec.Decode(await peer.ReadAsync())).Method);
        Assert.False(ok.IsCompleted);
    }

    [Fact]
    public async Task Each_remote_reference_sends_one_decref_when_disposed_and_the_root_none()
    {
        await using var server = await ScriptedServer.StartAsync();
        var (connection, peer) = await ConnectAsync(server);
        await using var _ = connection;

        var call = connection.Root.CallRemoteAsync("children");
        var request = Assert.IsType<PbCall>(PbMessageCodec.Decode(await peer.ReadAsync()));
        var twoChildren = new List<object?> { new PbRemote(PbObjectId.FromNumber(7)), new PbRemote(PbObjectId.FromNumber(8)) };
        await peer.SendAsync(PbMessageCodec.Encode(new PbAnswer(request.RequestId, Jelly.Jelly(twoChildren))));
        var children = Assert.IsType<List<object?>>(await call.WaitAsync(Bound));
        var seven = Assert.IsType<PbRemoteReference>(children[0]);
        var eight = Assert.IsType<PbRemoteReference>(children[1]);

        connection.Root.Dispose();
        seven.Dispose();
        seven.Dispose();
        eight.Dispose();

        // Nothing for the root (Twisted does not count it) and one decref per reference.
        Assert.Equal("[b'decref', 7]", PbRepr.Format(await peer.ReadAsync()));
        Assert.Equal("[b'decref', 8]", PbRepr.Format(await peer.ReadAsync()));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => seven.CallRemoteAsync("name"));
    }

    [Fact]
    public async Task A_reference_nobody_disposed_is_released_by_its_finalizer()
    {
        await using var server = await ScriptedServer.StartAsync();
        var (connection, peer) = await ConnectAsync(server);
        await using var _ = connection;

        await ReceiveReferenceAndDropItAsync(connection, peer);

        // A thread-pool thread that completed the call may briefly still hold the result; collect until it is gone.
        var decref = peer.ReadAsync();
        for (var attempt = 0; attempt < 50 && !decref.IsCompleted; attempt++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            await Task.WhenAny(decref, Task.Delay(100));
        }

        Assert.Equal("[b'decref', 3]", PbRepr.Format(await decref));
    }

    // In a method of its own so that nothing in the test's state machine keeps the call or its result reachable.
    private static async Task ReceiveReferenceAndDropItAsync(PbConnection connection, ScriptedPeer peer)
    {
        var call = connection.Root.CallRemoteAsync("child");
        var request = Assert.IsType<PbCall>(PbMessageCodec.Decode(await peer.ReadAsync()));
        await peer.SendAsync(PbMessageCodec.Encode(new PbAnswer(request.RequestId, Jelly.Jelly(new PbRemote(PbObjectId.FromNumber(3))))));
        Assert.IsType<PbRemoteReference>(await call.WaitAsync(Bound));
    }

    [Fact]
    public async Task Accepting_offers_only_pb_and_completes_once_the_client_chose_it_and_sent_its_version()
    {
        var (connecting, peer, server) = await StartAcceptingAsync(new PbConnectionOptions());
        await using var _ = server;

        Assert.Equal("[b'pb']", PbRepr.Format(await peer.ReadAsync()));
        await peer.SendAsync("pb"u8.ToArray());
        peer.UsePbDialect();
        await peer.SendAsync(PbMessageCodec.Encode(new PbVersion(6)));
        Assert.Equal("[b'version', 6]", PbRepr.Format(await peer.ReadAsync()));
        await using var connection = await connecting.WaitAsync(Bound);
        Assert.False(connection.Closed.IsCompleted);
    }

    [Fact]
    public async Task Accepting_refuses_a_client_that_chooses_another_dialect()
    {
        var (connecting, peer, server) = await StartAcceptingAsync(new PbConnectionOptions());
        await using var _ = server;

        await peer.ReadAsync();
        await peer.SendAsync("none"u8.ToArray());
        await Assert.ThrowsAsync<PbProtocolException>(() => connecting.WaitAsync(Bound));
    }

    [Fact]
    public async Task Exports_are_counted_per_token_released_by_decref_and_a_stray_decref_is_a_violation()
    {
        var (connection, peer, server) = await AcceptAsync(new PbConnectionOptions { Root = new LeafFactory() });
        await using var _ = server;
        await using var __ = connection;

        await peer.SendAsync(Call(1, "make", answerRequired: true));
        var answer = Assert.IsType<PbAnswer>(PbMessageCodec.Decode(await peer.ReadAsync()));
        Assert.Equal("[b'list', [b'remote', 1], [b'remote', 1]]", PbRepr.Format(answer.Result));
        Assert.Equal(1, connection.ExportCount);

        // A result nobody asked for is never jellied, so it adds no references the peer could not release.
        await peer.SendAsync(Call(2, "make", answerRequired: false));
        await peer.SendAsync(PbMessageCodec.Encode(new PbDecRef(PbObjectId.FromNumber(1))));
        await peer.SendAsync(PbMessageCodec.Encode(new PbDecRef(PbObjectId.FromNumber(1))));
        await peer.SendAsync(Call(3, "barrier", answerRequired: true));
        Assert.Equal("[b'answer', 3, [b'unicode', b'barrier']]", PbRepr.Format(await peer.ReadAsync()));
        Assert.Equal(0, connection.ExportCount);

        await peer.SendAsync(PbMessageCodec.Encode(new PbDecRef(PbObjectId.FromNumber(1))));
        Assert.IsType<PbProtocolException>(await connection.Closed.WaitAsync(Bound));
    }

    [Fact]
    public async Task The_export_limit_fails_the_call_that_would_exceed_it_not_the_connection()
    {
        var (connection, peer, server) = await AcceptAsync(new PbConnectionOptions { Root = new LeafFactory { DistinctLeaves = true }, MaxExports = 1 });
        await using var _ = server;
        await using var __ = connection;

        await peer.SendAsync(Call(1, "make", answerRequired: true));
        var error = Assert.IsType<PbError>(PbMessageCodec.Decode(await peer.ReadAsync()));
        var failure = Assert.IsType<PbFailure>(Jelly.Unjelly(error.Failure));
        Assert.Contains("MaxExports", failure.Value, StringComparison.Ordinal);
        Assert.False(connection.Closed.IsCompleted);
    }

    [Fact]
    public async Task Replicas_are_counted_per_token_and_released_with_one_decache_each()
    {
        await using var server = await ScriptedServer.StartAsync();
        var built = 0;
        var options = new PbConnectionOptions
        {
            Registry = new PbTypeRegistry().RegisterCacheable("example.Status"),
            ReplicaFactory = _ => { built++; return new Leaf(); },
        };
        var (connection, peer) = await ConnectAsync(server, options);
        await using var _ = connection;

        var first = connection.Root.CallRemoteAsync("status");
        var request = Assert.IsType<PbCall>(PbMessageCodec.Decode(await peer.ReadAsync()));
        var newAndCached = new List<object?> { new PbNewCache("example.Status", 4, null), new PbCached(4) };
        await peer.SendAsync(PbMessageCodec.Encode(new PbAnswer(request.RequestId, Jelly.Jelly(newAndCached))));
        var replicas = Assert.IsType<List<object?>>(await first.WaitAsync(Bound));
        Assert.Same(replicas[0], replicas[1]);
        Assert.Equal(1, built);

        // The owner's observer calls the replica; the replica sent back is the owner's own cacheable.
        await peer.SendAsync(PbMessageCodec.Encode(new PbCall(1, PbObjectId.FromNumber(4), "update", true, Jelly.Jelly(new PbTuple()), Jelly.Jelly(new Dictionary<string, object?>()), ToCache: true)));
        Assert.Equal("[b'answer', 1, [b'unicode', b'update']]", PbRepr.Format(await peer.ReadAsync()));
        var echo = connection.Root.CallRemoteAsync("echo", replicas[0]);
        Assert.Contains("[b'lcache', 4]", PbRepr.Format(await peer.ReadAsync()), StringComparison.Ordinal);

        connection.ReleaseReplica(replicas[0]!);
        connection.ReleaseReplica(replicas[0]!);
        Assert.Equal("[b'decache', 4]", PbRepr.Format(await peer.ReadAsync()));
        Assert.Equal("[b'decache', 4]", PbRepr.Format(await peer.ReadAsync()));
        await peer.SendAsync(PbMessageCodec.Encode(new PbUncache(4)));
        await peer.SendAsync(PbMessageCodec.Encode(new PbUncache(4)));
        Assert.IsType<PbProtocolException>(await connection.Closed.WaitAsync(Bound));
        Assert.Equal(0, connection.ReplicaCount);
        await Assert.ThrowsAsync<PbConnectionLostException>(() => echo);
    }

    [Fact]
    public async Task A_replica_factory_that_throws_fails_only_the_call_that_carried_the_replica()
    {
        await using var server = await ScriptedServer.StartAsync();
        var options = new PbConnectionOptions
        {
            Registry = new PbTypeRegistry().RegisterCacheable("example.Status"),
            ReplicaFactory = _ => throw new InvalidOperationException("no"),
        };
        var (connection, peer) = await ConnectAsync(server, options);
        await using var _ = connection;

        var call = connection.Root.CallRemoteAsync("status");
        var request = Assert.IsType<PbCall>(PbMessageCodec.Decode(await peer.ReadAsync()));
        await peer.SendAsync(PbMessageCodec.Encode(new PbAnswer(request.RequestId, Jelly.Jelly(new PbNewCache("example.Status", 1, null)))));

        var failure = await Assert.ThrowsAsync<JellyException>(() => call.WaitAsync(Bound));
        Assert.Contains("replica factory", failure.Message, StringComparison.Ordinal);
        Assert.False(connection.Closed.IsCompleted);
    }

    [Fact]
    public async Task A_decache_for_nothing_replicated_is_a_protocol_violation()
    {
        await using var server = await ScriptedServer.StartAsync();
        var (connection, peer) = await ConnectAsync(server);
        await using var _ = connection;

        await peer.SendAsync(PbMessageCodec.Encode(new PbDecache(3)));

        Assert.IsType<PbProtocolException>(await connection.Closed.WaitAsync(Bound));
    }

    private static List<object> Call(long requestId, string method, bool answerRequired) =>
        PbMessageCodec.Encode(new PbCall(requestId, PbObjectId.Root, method, answerRequired, Jelly.Jelly(new PbTuple()), Jelly.Jelly(new Dictionary<string, object?>())));

    private static async Task<(Task<PbConnection> Connecting, ScriptedPeer Peer, ScriptedServer Server)> StartAcceptingAsync(PbConnectionOptions options)
    {
        var server = await ScriptedServer.StartAsync();
        var (client, accepted) = await server.ConnectClientAsync();
        return (PbConnection.AcceptAsync(new NetworkStream(accepted, ownsSocket: true), options), client, server);
    }

    private static async Task<(PbConnection Connection, ScriptedPeer Peer, ScriptedServer Server)> AcceptAsync(PbConnectionOptions options)
    {
        var (connecting, peer, server) = await StartAcceptingAsync(options);
        await peer.ReadAsync();
        await peer.SendAsync("pb"u8.ToArray());
        peer.UsePbDialect();
        await peer.SendAsync(PbMessageCodec.Encode(new PbVersion(6)));
        await peer.ReadAsync();
        return (await connecting.WaitAsync(Bound), peer, server);
    }

    /// <summary>A root whose "make" returns a pair of leaves (the same one twice unless told otherwise); other methods echo their name.</summary>
    private sealed class LeafFactory : IPbCallable
    {
        private readonly Leaf _shared = new();

        public bool DistinctLeaves { get; init; }

        public Task<object?> CallAsync(string method, IReadOnlyList<object?> arguments, IReadOnlyDictionary<string, object?> keywordArguments, CancellationToken cancellationToken) =>
            Task.FromResult<object?>(method == "make"
                ? new List<object?> { DistinctLeaves ? new Leaf() : _shared, DistinctLeaves ? new Leaf() : _shared }
                : method);
    }

    private sealed class Leaf : IPbCallable
    {
        public Task<object?> CallAsync(string method, IReadOnlyList<object?> arguments, IReadOnlyDictionary<string, object?> keywordArguments, CancellationToken cancellationToken) =>
            Task.FromResult<object?>(method);
    }

    internal static async Task<(PbConnection Connection, ScriptedPeer Peer)> ConnectAsync(ScriptedServer server, PbConnectionOptions? options = null)
    {
        var connecting = PbConnection.ConnectAsync(server.EndPoint, options);
        var peer = await server.AcceptAsync();
        await peer.SendAsync(new List<object> { "pb"u8.ToArray(), "none"u8.ToArray() });
        await peer.ReadAsync();
        peer.UsePbDialect();
        await peer.ReadAsync();
        await peer.SendAsync(PbMessageCodec.Encode(new PbVersion(6)));
        return (await connecting.WaitAsync(Bound), peer);
    }

    internal sealed class ScriptedServer : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly List<ScriptedPeer> _peers = [];

        public IPEndPoint EndPoint => (IPEndPoint)_listener.LocalEndpoint;

        public static Task<ScriptedServer> StartAsync()
        {
            var server = new ScriptedServer();
            server._listener.Start();
            return Task.FromResult(server);
        }

        public async Task<ScriptedPeer> AcceptAsync()
        {
            var peer = new ScriptedPeer(await _listener.AcceptSocketAsync().WaitAsync(Bound));
            _peers.Add(peer);
            return peer;
        }

        /// <summary>Opens a connection to this server: a scripted client end and the accepted socket.</summary>
        public async Task<(ScriptedPeer Client, Socket Accepted)> ConnectClientAsync()
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            var client = new ScriptedPeer(socket);
            _peers.Add(client);
            await socket.ConnectAsync(EndPoint).WaitAsync(Bound);
            return (client, await _listener.AcceptSocketAsync().WaitAsync(Bound));
        }

        public ValueTask DisposeAsync()
        {
            _listener.Stop();
            _listener.Dispose();
            foreach (var peer in _peers)
            {
                peer.Dispose();
            }

            return ValueTask.CompletedTask;
        }
    }

    internal sealed class ScriptedPeer(Socket socket) : IDisposable
    {
        private readonly BananaDecoder _decoder = new();
        private readonly BananaEncoder _encoder = new();
        private readonly byte[] _buffer = new byte[4096];
        private readonly Queue<object> _received = new();
        private byte[] _unread = [];

        public void UsePbDialect()
        {
            _decoder.Dialect = BananaDialect.Pb;
            _encoder.Dialect = BananaDialect.Pb;
        }

        public Task SendAsync(object expression) => SendRawAsync(_encoder.Encode(expression));

        public async Task SendRawAsync(byte[] bytes) => await socket.SendAsync(bytes).WaitAsync(Bound);

        /// <summary>The next expression, decoding one at a time so a dialect switch applies to what follows.</summary>
        public async Task<object> ReadAsync()
        {
            while (_received.Count == 0)
            {
                if (_unread.Length == 0)
                {
                    var read = await socket.ReceiveAsync(_buffer).WaitAsync(Bound);
                    Assert.NotEqual(0, read);
                    _unread = _buffer[..read];
                }

                if (_decoder.TryReadExpression(_unread, out var consumed, out var expression))
                {
                    _received.Enqueue(expression);
                }

                _unread = _unread[consumed..];
            }

            return _received.Dequeue();
        }

        public void Dispose() => socket.Dispose();
    }
}
