using System.Net;
using Tether.Hosting;
using Tether.Lab.Proxy;
using Tether.Remoting;
using Tether.Remoting.Login;
using Tether.Tests.Infrastructure;

namespace Tether.Functional.Tests.Remoting;

public interface IWorkerPerspective : IReferenceable
{
    Task<string> WhoAmIAsync();
}

public sealed class LoginTests
{
    [Fact]
    public async Task PasswordLoginReturnsThePerspectiveAndTheMindReachesTheRealm()
    {
        var realm = new Realm();
        await using var server = StartServer(realm);
        await using var session = await ConnectAsync(server.LocalEndPoint);
        var mind = new CountingCallback();
        var perspective = await session.LoginAsync(new PasswordCredentials("alice", "secret"), mind);
        Assert.Equal("alice", await perspective.As<IWorkerPerspective>().WhoAmIAsync());
        Assert.Equal(70, await realm.Minds["alice"].As<ICallback>().NotifyAsync(7));
        Assert.Equal(1, mind.Count);
        var serverSession = Assert.Single(server.Sessions);
        Assert.Equal("alice", serverSession.UserName);
    }

    [Fact]
    public async Task WrongPasswordAndUnknownUserAreRefusedAlike()
    {
        await using var server = StartServer(new Realm());
        await using var session = await ConnectAsync(server.LocalEndPoint);
        var wrong = await Assert.ThrowsAsync<LoginRefusedException>(() => session.LoginAsync(new PasswordCredentials("alice", "guess")));
        var unknown = await Assert.ThrowsAsync<LoginRefusedException>(() => session.LoginAsync(new PasswordCredentials("mallory", "guess")));
        Assert.Equal(wrong.Message, unknown.Message);
        Assert.True(session.IsConnected);
        Assert.Equal("alice", await (await session.LoginAsync(new PasswordCredentials("alice", "secret"))).CallAsync<string>("WhoAmI"));
    }

    [Fact]
    public async Task ResponseWithoutAChallengeOrReplayedIsRefused()
    {
        await using var server = StartServer(new Realm());
        await using var session = await ConnectAsync(server.LocalEndPoint);
        var missing = await Assert.ThrowsAsync<RemoteCallException>(() => session.Root.CallAsync("Login", "alice", new byte[32], null));
        Assert.Contains("challenge first", missing.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BeforeLoginNothingButTheLoginEndpointIsReachable()
    {
        await using var server = StartServer(new Realm());
        await using var session = await ConnectAsync(server.LocalEndPoint);
        var notThere = await Assert.ThrowsAsync<RemoteCallException>(() => session.Root.CallAsync("WhoAmI"));
        Assert.Equal(typeof(MissingMethodException).FullName, notThere.RemoteType);
        var guessedId = await Assert.ThrowsAsync<RemoteCallException>(() => new RemoteReferenceProbe(session).CallExportAsync(1));
        Assert.Equal("Tether.NoSuchObject", guessedId.RemoteType);
    }

    [Fact]
    public async Task TokenLoginUsesTheTokenChecker()
    {
        await using var server = StartServer(new Realm());
        await using var session = await ConnectAsync(server.LocalEndPoint);
        await Assert.ThrowsAsync<LoginRefusedException>(() => session.LoginAsync(new TokenCredentials("forged")));
        var perspective = await session.LoginAsync(new TokenCredentials("token-of-bob"));
        Assert.Equal("bob", await perspective.CallAsync<string>("WhoAmI"));
    }

    [Fact]
    public async Task LogoutHookRunsWithTheReason()
    {
        var realm = new Realm();
        await using var server = StartServer(realm);
        var session = await ConnectAsync(server.LocalEndPoint);
        await session.LoginAsync(new PasswordCredentials("alice", "secret"));
        await session.DisposeAsync();
        var (user, disconnection) = await realm.LoggedOut.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("alice", user);
        Assert.Equal(DisconnectReason.PeerClosed, disconnection.Reason);
    }

    [Fact]
    public async Task ReturningUserWhoseOldConnectionIsHalfOpenGetsInAndTheOldOneIsDropped()
    {
        var realm = new Realm();
        await using var server = StartServer(realm, o => o.DuplicateProbeTimeout = TimeSpan.FromSeconds(1));
        await using var proxy = FaultProxy.Start(server.LocalEndPoint, link: null, nat: null);
        await using var old = await ConnectAsync(proxy.Endpoint);
        await old.LoginAsync(new PasswordCredentials("alice", "secret"));
        proxy.Blackhole(); // the NAT flapped: the server's side of the old connection is now half-open

        await using var fresh = await ConnectAsync(server.LocalEndPoint);
        var perspective = await fresh.LoginAsync(new PasswordCredentials("alice", "secret"));
        Assert.Equal("alice", await perspective.CallAsync<string>("WhoAmI"));
        var (_, dropped) = await realm.LoggedOut.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(DisconnectReason.LocalClose, dropped.Reason);
        Assert.Contains("did not answer a liveness probe", dropped.Detail, StringComparison.Ordinal);
        Assert.Equal("alice", Assert.Single(server.Sessions, s => s.UserName is not null).UserName);
    }

    [Fact]
    public async Task ReturningUserWhoseOldConnectionAnswersIsRefused()
    {
        await using var server = StartServer(new Realm(), o => o.DuplicateProbeTimeout = TimeSpan.FromSeconds(5));
        await using var old = await ConnectAsync(server.LocalEndPoint);
        await old.LoginAsync(new PasswordCredentials("alice", "secret"));
        await using var second = await ConnectAsync(server.LocalEndPoint);
        var refused = await Assert.ThrowsAsync<LoginRefusedException>(() => second.LoginAsync(new PasswordCredentials("alice", "secret")));
        Assert.Contains("answered a liveness probe", refused.Message, StringComparison.Ordinal);
        Assert.True(old.IsConnected);
    }

    [Theory]
    [InlineData(DuplicateLoginPolicy.ReplaceOld)]
    [InlineData(DuplicateLoginPolicy.RefuseNew)]
    public async Task OtherDuplicatePoliciesDoWhatTheySay(DuplicateLoginPolicy policy)
    {
        await using var server = StartServer(new Realm(), o => o.DuplicateLogin = policy);
        await using var old = await ConnectAsync(server.LocalEndPoint);
        await old.LoginAsync(new PasswordCredentials("alice", "secret"));
        await using var second = await ConnectAsync(server.LocalEndPoint);
        if (policy == DuplicateLoginPolicy.RefuseNew)
        {
            await Assert.ThrowsAsync<LoginRefusedException>(() => second.LoginAsync(new PasswordCredentials("alice", "secret")));
            Assert.True(old.IsConnected);
        }
        else
        {
            await second.LoginAsync(new PasswordCredentials("alice", "secret"));
            var lost = await old.Disconnected.WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal(DisconnectReason.PeerReset, lost.Reason); // aborted by the server
        }
    }

    private static TetherServer StartServer(Realm realm, Action<LoginOptions>? configure = null)
    {
        var login = new LoginOptions
        {
            Passwords = new InMemoryPasswordStore().Add("alice", "secret"),
            Tokens = new TokenChecker(),
            Realm = realm,
        };
        configure?.Invoke(login);
        return TetherServer.Start(new TetherServerOptions { Login = login });
    }

    private static async Task<TetherSession> ConnectAsync(IPEndPoint endpoint) =>
        TetherSession.Start(await TetherConnector.ConnectAsync(endpoint));

    private sealed class TokenChecker : ITokenChecker
    {
        public ValueTask<string?> CheckAsync(string token, CancellationToken cancellationToken) =>
            ValueTask.FromResult(token == "token-of-bob" ? "bob" : null);
    }

    private sealed class Realm : IRealm
    {
        public Dictionary<string, RemoteReference> Minds { get; } = [];

        public TaskCompletionSource<(string User, Disconnection Disconnection)> LoggedOut { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public ValueTask<IReferenceable> GetAvatarAsync(string userName, RemoteReference? mind, TetherSession session, CancellationToken cancellationToken)
        {
            if (mind is not null)
            {
                Minds[userName] = mind;
            }

            return ValueTask.FromResult<IReferenceable>(new Perspective(userName));
        }

        public ValueTask LogoutAsync(string userName, IReferenceable avatar, Disconnection disconnection)
        {
            LoggedOut.TrySetResult((userName, disconnection));
            return ValueTask.CompletedTask;
        }
    }

    private sealed class Perspective(string user) : IWorkerPerspective
    {
        public Task<string> WhoAmIAsync() => Task.FromResult(user);
    }

    /// <summary>Calls an export id the peer never handed out, as a hostile client would.</summary>
    private sealed class RemoteReferenceProbe(TetherSession session)
    {
        public Task<object?> CallExportAsync(uint id) => session.CallAsync<object?>(id, "WhoAmI", new CallArguments([]), CancellationToken.None);
    }
}
