using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Numerics;
using Tether.Functional.Tests.Infrastructure;
using Tether.Pb;
using Tether.Pb.Jelly;
using Tether.Pb.Protocol;
using Xunit.Abstractions;

namespace Tether.Functional.Tests.Pb;

/// <summary>A real Twisted PB client (Scripts/pb_client.py) against Tether's accepting side.</summary>
public sealed class PbServerInteropTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    [SkippableFact]
    public async Task A_Twisted_client_calls_a_dotnet_root_passes_callbacks_and_releases_exports()
    {
        var root = new TetherRoot();
        var (client, connection) = await RunClientAsync("calls", new PbConnectionOptions { Root = root });
        await using var _ = client;
        await using var __ = connection;
        root.Connection.SetResult(connection);
        await client.WaitForEventAsync("done", Bound);
        output.WriteLine(client.DescribeOutput());
        Assert.DoesNotContain(client.Events, e => JsonLinesProcess.EventNameOf(e) == "error");

        PbClientEvents.AssertExercised(client);
        Assert.Equal("[[\"int\",\"str\",\"bytes\"],[\"key\"]]", PbClientEvents.Event(client, "describe")["value"]!.ToJsonString());
        Assert.Equal("[\"hello\"]", PbClientEvents.Event(client, "callback")["received"]!.ToJsonString());
        Assert.Equal(1, root.Status.StoppedCount);
    }

    [SkippableFact]
    public async Task A_Twisted_client_logs_in_through_a_dotnet_portal_and_each_login_is_logged_out_once()
    {
        var logouts = new ConcurrentQueue<string>();
        var portal = new PbPortal(
            user => user == "alice" ? PbCredentials.Digest("secret"u8) : null,
            login => new Perspective(login),
            login => logouts.Enqueue(login.Username ?? "anonymous"),
            allowAnonymous: true);
        var (client, connection) = await RunClientAsync("login", new PbConnectionOptions { Root = portal });
        await using var _ = client;
        await using var __ = connection;

        await client.WaitForEventAsync("done", Bound);
        output.WriteLine(client.DescribeOutput());
        PbClientEvents.AssertWrongPasswordThenLoggedIn(client);

        Assert.Equal("anonymous", PbClientEvents.Event(client, "anonymous")["whoami"]!.GetValue<string>());

        // The first avatar was released by the client's decref, the others go with the connection at the latest.
        await connection.Closed.WaitAsync(Bound);
        Assert.Equal(["alice", "alice", "anonymous"], logouts.Order(StringComparer.Ordinal));
        Assert.Equal(0, connection.ExportCount);
    }

    /// <summary>Starts pb_client.py with <paramref name="scenario"/> and accepts its connection with <paramref name="options"/>.</summary>
    private static async Task<(JsonLinesProcess Client, PbConnection Connection)> RunClientAsync(string scenario, PbConnectionOptions options)
    {
        TwistedPython.Require("PB interop with a Twisted client");
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var client = TwistedPython.StartClient(port, scenario);
        try
        {
            var socket = await listener.AcceptSocketAsync().WaitAsync(Bound);
            return (client, await PbConnection.AcceptAsync(new NetworkStream(socket, ownsSocket: true), options));
        }
        catch
        {
            await client.DisposeAsync();
            throw;
        }
    }


    /// <summary>The root the Python client exercises; methods mirror what pb_client.py calls.</summary>
    private sealed class TetherRoot : IPbCallable
    {
        private Child? _lastChild;

        public DotnetStatus Status { get; } = new();

        public TaskCompletionSource<PbConnection> Connection { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public async Task<object?> CallAsync(
            string method, IReadOnlyList<object?> arguments, IReadOnlyDictionary<string, object?> keywordArguments, CancellationToken cancellationToken)
        {
            switch (method)
            {
                case "echo":
                    return arguments[0];
                case "add":
                    PbIntegers.TryGetInteger(arguments[0], out var a);
                    PbIntegers.TryGetInteger(arguments[1], out var b);
                    return PbIntegers.Normalize(a + b);
                case "describe":
                    return new List<object?>
                    {
                        arguments.Select(argument => (object?)(argument switch { long => "int", string => "str", byte[] => "bytes", _ => "?" })).ToList(),
                        keywordArguments.Keys.Order(StringComparer.Ordinal).Cast<object?>().ToList(),
                    };
                case "fail":
                    throw new InvalidOperationException((string)arguments[0]!);
                case "callMeBack":
                    var callback = (PbRemoteReference)arguments[0]!;
                    using (callback)
                    {
                        return await callback.CallRemoteAsync("take", [arguments[1]], null, cancellationToken);
                    }

                case "child":
                    return _lastChild = new Child((string)arguments[0]!);
                case "isLastChild":
                    return ReferenceEquals(arguments[0], _lastChild);
                case "exports":
                    return (long)(await Connection.Task).ExportCount;
                case "status":
                    return Status;
                case "bump":
                    await Status.BumpAsync((long)arguments[0]!);
                    return null;
                case "stoppedObserving":
                    return (long)Status.StoppedCount;
                default:
                    throw new PbRemoteCallException(new PbFailure("twisted.spread.flavors.NoSuchMethod", $"No such method: remote_{method}"));
            }
        }
    }

    /// <summary>A cacheable whose replicas see its value and every bump, in order.</summary>
    private sealed class DotnetStatus : IPbCacheable
    {
        private readonly List<PbCacheObserver> _observers = [];
        private long _value;
        private int _stopped;

        public string TypeName => "example.DotnetStatus";

        public int StoppedCount => Volatile.Read(ref _stopped);

        public object? GetStateToCacheAndObserve(PbCacheObserver observer)
        {
            lock (_observers)
            {
                _observers.Add(observer);
            }

            return new Dictionary<string, object?> { ["value"] = _value };
        }

        public void StoppedObserving(PbCacheObserver observer)
        {
            lock (_observers)
            {
                _observers.Remove(observer);
            }

            Interlocked.Increment(ref _stopped);
        }

        public async Task BumpAsync(long times)
        {
            for (var i = 0; i < times; i++)
            {
                var value = ++_value;
                PbCacheObserver[] observers;
                lock (_observers)
                {
                    observers = [.. _observers];
                }

                await Task.WhenAll(observers.Select(observer => observer.CallRemoteAsync("update", value)));
            }
        }
    }

    /// <summary>The avatar the portal's realm hands out: it knows who logged in and can call their mind.</summary>
    private sealed class Perspective(PbLogin login) : IPbCallable
    {
        public async Task<object?> CallAsync(
            string method, IReadOnlyList<object?> arguments, IReadOnlyDictionary<string, object?> keywordArguments, CancellationToken cancellationToken) => method switch
        {
            "whoami" => login.Username ?? "anonymous",
            "greetMind" => await ((PbRemoteReference)login.Mind!).CallRemoteAsync("hello", [], null, cancellationToken),
            _ => throw new PbRemoteCallException(new PbFailure("twisted.spread.flavors.NoSuchMethod", method)),
        };
    }

    private sealed class Child(string name) : IPbCallable
    {
        public Task<object?> CallAsync(
            string method, IReadOnlyList<object?> arguments, IReadOnlyDictionary<string, object?> keywordArguments, CancellationToken cancellationToken) =>
            Task.FromResult<object?>(method == "name" ? name : throw new PbRemoteCallException(new PbFailure("twisted.spread.flavors.NoSuchMethod", method)));
    }
}
