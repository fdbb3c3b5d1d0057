using System.Net;
using System.Numerics;
using Tether.Functional.Tests.Infrastructure;
using Tether.Hosting;
using Tether.Pb.Remoting;
using Tether.Remoting;
using Tether.Remoting.Login;
using Tether.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Tether.Functional.Tests.Pb;

/// <summary>
/// Tether's object model (TetherClient, TetherServer, referenceables, copyables, cacheables) with the protocol option
/// set to Twisted PB, against real Twisted peers: the user code is the one the native protocol runs.
/// </summary>
public sealed class ObjectModelOverPbTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    /// <summary>The Python root's methods, as a typed proxy (Python names are lower case).</summary>
    public interface IPythonRoot : IReferenceable
    {
        [RemoteName("add")]
        Task<BigInteger> AddAsync(BigInteger a, BigInteger b);

        [RemoteName("echo")]
        Task<string> EchoAsync(string text);
    }

    [SkippableFact]
    public async Task A_TetherClient_speaking_PB_calls_a_Twisted_server_with_values_copyables_references_and_callbacks()
    {
        await using var server = await TwistedPbServer.StartAsync("root");
        await using var client = new TetherClient(ClientOptions(server.EndPoint));
        var session = await client.ConnectAsync().WaitAsync(Bound);
        var root = session.Root;

        Assert.Equal(5, await root.CallAsync<int>("add", 2, 3));
        var python = root.As<IPythonRoot>();
        Assert.Equal(BigInteger.Pow(2, 70) + 1, await python.AddAsync(BigInteger.Pow(2, 70), 1));
        Assert.Equal("grüße ☃", await python.EchoAsync("grüße ☃"));
        var nested = await root.CallAsync<Dictionary<string, List<long>>>("echo", new Dictionary<string, long[]> { ["a"] = [1, 2], ["b"] = [] });
        Assert.Equal([1L, 2L], nested["a"]);
        Assert.Empty(nested["b"]);

        // Copyables both ways, mapped by the registered name; members travel as snake_case attributes.
        Assert.Equal(new Point(3, 4), await root.CallAsync<Point>("point", 3, 4));
        Assert.Equal(new Point(2, 1), await root.CallAsync<Point>("swap", new Point(1, 2)));

        // A reference to a Python object, and a .NET object Python calls back.
        using (var child = await root.CallAsync<RemoteReference>("child", "kid"))
        {
            Assert.Equal("kid", await child.CallAsync<string>("name"));
        }

        var callback = new Callback();
        Assert.Equal("thanks for hello", await root.CallAsync<string>("callMeBack", callback, "hello"));
        Assert.Equal(["hello"], callback.Received);

        var failed = await Assert.ThrowsAsync<RemoteCallException>(() => root.CallAsync("fail", "boom ☃"));
        Assert.Equal("builtins.ValueError", failed.RemoteType);
        Assert.Contains("boom ☃", failed.Message, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task A_Python_cacheable_observed_through_PB_updates_in_order_and_stops_observing_on_release()
    {
        await using var server = await TwistedPbServer.StartAsync("root");
        var options = ClientOptions(server.EndPoint);
        options.Remoting.Types.AddRemoteCache<StatusReplica>("example.Status");
        await using var client = new TetherClient(options);
        var session = await client.ConnectAsync().WaitAsync(Bound);

        var replica = await session.Root.CallAsync<StatusReplica>("status");
        Assert.Same(session, replica.Session);
        Assert.Equal(5, await session.Root.CallAsync<int>("setStatus", 1, 5));
        await Eventually.TrueAsync(() => replica.Values.Count == 6, "five updates after the initial state");
        Assert.Equal([0, 1, 2, 3, 4, 5], replica.Values);

        replica.Dispose();
        var stopped = await server.Process.WaitForEventAsync("stoppedObserving", Bound);
        Assert.Equal(0, stopped["observers"]!.GetValue<int>());
    }

    [SkippableFact]
    public async Task Abort_ends_a_PB_session_with_LocalClose_failing_calls_and_running_each_notifier_once()
    {
        await using var server = await TwistedPbServer.StartAsync("root");
        await using var client = new TetherClient(ClientOptions(server.EndPoint));
        var session = await client.ConnectAsync().WaitAsync(Bound);
        using var child = await session.Root.CallAsync<RemoteReference>("child", "kid");
        var notified = 0;
        using var registration = child.NotifyOnDisconnect(_ => Interlocked.Increment(ref notified));
        var pending = session.Root.CallAsync<string>("later", "never", 60);

        session.Abort("test over");
        var ended = await session.Disconnected.WaitAsync(Bound);
        Assert.Equal(DisconnectReason.LocalClose, ended.Reason);
        Assert.Equal("test over", ended.Detail);
        var lost = await Assert.ThrowsAsync<ConnectionLostException>(() => pending.WaitAsync(Bound));
        Assert.Equal(DisconnectReason.LocalClose, lost.Reason);
        Assert.Equal(1, notified);
        await Assert.ThrowsAsync<ConnectionLostException>(() => child.CallAsync<string>("name"));
        Assert.False(session.IsConnected);
    }

    [SkippableFact]
    public async Task A_Twisted_client_calls_a_TetherServer_speaking_PB()
    {
        TwistedPython.Require("PB interop with a Twisted client");
        var root = new ModelRoot();
        var options = new TetherServerOptions { Root = root, Protocol = TwistedPb.Protocol };
        await using var server = TetherServer.Start(options);
        await using var client = TwistedPython.StartClient(server.LocalEndPoint.Port, "model");
        await client.WaitForEventAsync("done", Bound);
        output.WriteLine(client.DescribeOutput());
        Assert.DoesNotContain(client.Events, e => JsonLinesProcess.EventNameOf(e) == "error");

        PbClientEvents.AssertExercised(client);
    }

    [SkippableFact]
    public async Task A_TetherClient_logs_in_to_a_Twisted_portal_and_a_wrong_password_is_refused()
    {
        await using var server = await TwistedPbServer.StartAsync("portal");
        var wrong = ClientOptions(server.EndPoint);
        wrong.Credentials = new PasswordCredentials("alice", "wrong");
        await using (var refused = new TetherClient(wrong))
        {
            await Assert.ThrowsAsync<LoginRefusedException>(() => refused.ConnectAsync().WaitAsync(Bound));
        }

        var options = ClientOptions(server.EndPoint);
        options.Credentials = new PasswordCredentials("alice", "secret");
        options.Mind = new Callback();
        await using var client = new TetherClient(options);
        await client.ConnectAsync().WaitAsync(Bound);
        Assert.Equal("alice", await client.Perspective!.CallAsync<string>("whoami"));
        var login = await server.Process.WaitForEventAsync("login", Bound, e => e["user"]?.GetValue<string>() == "alice");
        Assert.Contains("RemoteReference", login["mind"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task A_Twisted_client_logs_in_to_a_TetherServer_speaking_PB_through_the_same_login_options()
    {
        TwistedPython.Require("PB interop with a Twisted client");
        var realm = new Realm();
        var options = new TetherServerOptions
        {
            Protocol = TwistedPb.Protocol,
            Login = new LoginOptions { Passwords = new PbCompatiblePasswordStore().Add("alice", "secret"), Realm = realm },
        };
        await using var server = TetherServer.Start(options);
        await using var client = TwistedPython.StartClient(server.LocalEndPoint.Port, "modellogin");
        await client.WaitForEventAsync("done", Bound);
        output.WriteLine(client.DescribeOutput());
        Assert.DoesNotContain(client.Events, e => JsonLinesProcess.EventNameOf(e) == "error");

        PbClientEvents.AssertWrongPasswordThenLoggedIn(client);
        Assert.True(PbClientEvents.Event(client, "again")["refused"]!.GetValue<bool>()); // one login per connection, as natively

        // The logout hook runs once the Python client's connection is gone.
        var (user, _) = await realm.LoggedOut.Task.WaitAsync(Bound);
        Assert.Equal("alice", user);
    }

    private static TetherClientOptions ClientOptions(IPEndPoint endpoint)
    {
        var options = new TetherClientOptions { Endpoint = endpoint, Protocol = TwistedPb.Protocol, Reconnect = { Enabled = false } };
        options.Remoting.Types.AddCopyable<Point>("example.Point");
        return options;
    }

    /// <summary>Hands out perspectives that call the client's mind back.</summary>
    private sealed class Realm : IRealm
    {
        public TaskCompletionSource<(string User, Disconnection Disconnection)> LoggedOut { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public ValueTask<IReferenceable> GetAvatarAsync(string userName, RemoteReference? mind, TetherSession session, CancellationToken cancellationToken) =>
            ValueTask.FromResult<IReferenceable>(new Perspective(userName, mind));

        public ValueTask LogoutAsync(string userName, IReferenceable avatar, Disconnection disconnection)
        {
            LoggedOut.TrySetResult((userName, disconnection));
            return ValueTask.CompletedTask;
        }
    }

    /// <summary>A user's perspective, as Python calls it.</summary>
    public sealed class Perspective(string user, RemoteReference? mind) : IReferenceable
    {
        [RemoteName("whoami")]
        public string WhoAmI() => user;

        [RemoteName("greetMind")]
        public Task<string> GreetMindAsync() => mind?.CallAsync<string>("hello") ?? Task.FromResult("no mind");
    }

    /// <summary>Python's example.Point, by value.</summary>
    public sealed record Point(int X, int Y);

    /// <summary>A .NET object Python calls back.</summary>
    public sealed class Callback : IReferenceable
    {
        public List<string> Received { get; } = [];

        [RemoteName("take")]
        public string Take(string value)
        {
            Received.Add(value);
            return "thanks for " + value;
        }
    }

    /// <summary>The replica of Python's Status cacheable.</summary>
    public sealed class StatusReplica : RemoteCache<Dictionary<string, int>>
    {
        public List<int> Values { get; } = [];

        public void ObserveUpdate(int value) => Values.Add(value);

        protected override void Initialize(Dictionary<string, int> state) => Values.Add(state["value"]);
    }

#pragma warning disable CA1822 // remote methods are instance methods: the peer calls an object
    /// <summary>What pb_client.py's "model" scenario calls, written as any Tether root is.</summary>
    public sealed class ModelRoot : IReferenceable
    {
        private readonly DotnetStatus _status = new();
        private object? _lastChild;

        [RemoteName("echo")]
        public object? Echo(object? value) => value;

        [RemoteName("add")]
        public BigInteger Add(BigInteger a, BigInteger b) => a + b;

        [RemoteName("fail")]
        public void Fail(string message) => throw new InvalidOperationException(message);

        [RemoteName("callMeBack")]
        public Task<string> CallMeBackAsync(RemoteReference callback, string value) => callback.CallAsync<string>("take", value);

        [RemoteName("child")]
        public Child MakeChild(string name) => (Child)(_lastChild = new Child(name));

        [RemoteName("isLastChild")]
        public bool IsLastChild(object child) => ReferenceEquals(child, _lastChild);

        [RemoteName("exports")]
        public int Exports(TetherSession session) => session.GetStatistics().Exports;

        [RemoteName("status")]
        public Cacheable Status() => _status;

        [RemoteName("bump")]
        public async Task BumpAsync(int times)
        {
            for (var i = 0; i < times; i++)
            {
                await _status.BumpAsync();
            }
        }

        [RemoteName("stoppedObserving")]
        public int StoppedObserving() => _status.StoppedCount;
    }
#pragma warning restore CA1822

    /// <summary>A referenceable child.</summary>
    public sealed class Child(string name) : IReferenceable
    {
        [RemoteName("name")]
        public string Name() => name;
    }

    /// <summary>The cacheable pb_client.py replicates as example.DotnetStatus.</summary>
    public sealed class DotnetStatus : Cacheable
    {
        private readonly List<CacheObserver> _observers = [];
        private int _value;
        private int _stopped;

        public override string CacheName => "example.DotnetStatus";

        public int StoppedCount => Volatile.Read(ref _stopped);

        public async Task BumpAsync()
        {
            var value = Interlocked.Increment(ref _value);
            CacheObserver[] observers;
            lock (_observers)
            {
                observers = [.. _observers];
            }

            foreach (var observer in observers)
            {
                await observer.CallRemoteAsync("update", value);
            }
        }

        protected internal override object? GetStateToCacheAndObserve(TetherSession session, CacheObserver observer)
        {
            lock (_observers)
            {
                _observers.Add(observer);
            }

            return new Dictionary<string, int> { ["value"] = _value };
        }

        protected internal override void StoppedObserving(TetherSession session, CacheObserver observer)
        {
            lock (_observers)
            {
                _observers.Remove(observer);
            }

            Interlocked.Increment(ref _stopped);
        }
    }
}
