using System.Net;
using Tether.Functional.Tests.Infrastructure;
using Tether.Hosting;
using Tether.Remoting;
using Tether.Remoting.Login;
using Tether.Tests.Infrastructure;
using Tether.Transport;
using System.Security.Cryptography;

namespace Tether.Functional.Tests.Remoting;

public sealed class ClientTests
{
    [Fact]
    public async Task ClientReconnectsAfterTheServerComesBackAndReportsWhy()
    {
        var port = TetherCli.FreePort();
        var endpoint = new IPEndPoint(IPAddress.Loopback, port);
        var events = new List<string>();
        await using var client = new TetherClient(new TetherClientOptions
        {
            Endpoint = endpoint,
            Reconnect = new ReconnectOptions { InitialDelay = TimeSpan.FromMilliseconds(50), MaxDelay = TimeSpan.FromMilliseconds(200) },
        });
        client.Disconnected += (_, e) =>
        {
            lock (events)
            {
                events.Add(e.Disconnection?.ReasonCode ?? $"attempt failed: {e.Error?.GetType().Name}");
            }
        };

        var connecting = client.ConnectAsync();
        await Task.Delay(300); // nothing listens yet: attempts fail and back off
        var first = TetherServer.Start(new TetherServerOptions { Endpoint = endpoint, Root = new Calculator() });
        var session = await connecting.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(3, await session.Root.CallAsync<int>("Add", 1, 2));

        await first.DisposeAsync(); // the server goes away
        await session.Disconnected.WaitAsync(TimeSpan.FromSeconds(10));
        await using var second = TetherServer.Start(new TetherServerOptions { Endpoint = endpoint, Root = new Calculator() });
        var again = await client.WaitForSessionAsync().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.NotSame(session, again);
        Assert.Equal(5, await again.Root.CallAsync<int>("Add", 2, 3));
        lock (events)
        {
            Assert.Contains(events, e => e.StartsWith("attempt failed", StringComparison.Ordinal));
            Assert.Contains("peer_closed", events);
        }
    }

    [Fact]
    public async Task ClientOverTlsConnectsWithTheRightPinAndNotWithAWrongOne()
    {
        using var certificate = TestCertificates.Server();
        using var impostor = TestCertificates.Server("impostor");
        await using var server = TetherServer.Start(new TetherServerOptions
        {
            Root = new Calculator(),
            Connection = new TetherConnectionOptions { Tls = new TetherTlsOptions { ServerCertificate = certificate } },
        });

        await using var pinned = new TetherClient(new TetherClientOptions
        {
            Endpoint = server.LocalEndPoint,
            Connection = new TetherConnectionOptions { Tls = new TetherTlsOptions { PinnedPeerCertificates = { certificate.GetCertHashString(HashAlgorithmName.SHA256) } } },
        });
        var session = await pinned.ConnectAsync().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(3, await session.Root.CallAsync<int>("Add", 1, 2));

        await using var wrong = new TetherClient(new TetherClientOptions
        {
            Endpoint = server.LocalEndPoint,
            Connection = new TetherConnectionOptions { Tls = new TetherTlsOptions { PinnedPeerCertificates = { impostor.GetCertHashString(HashAlgorithmName.SHA256) } } },
            Reconnect = new ReconnectOptions { Enabled = false },
        });
        var refused = await Assert.ThrowsAsync<ConnectionLostException>(() => wrong.ConnectAsync().WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(DisconnectReason.HandshakeFailed, refused.Reason);
        Assert.Contains("pin", refused.Disconnection.Detail, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(5, await session.Root.CallAsync<int>("Add", 2, 3));
    }

    [Fact]
    public async Task RefusedLoginStopsTheClient()
    {
        await using var server = TetherServer.Start(new TetherServerOptions
        {
            Login = new LoginOptions { Passwords = new InMemoryPasswordStore().Add("alice", "secret"), Realm = new NobodyRealm() },
        });
        await using var client = new TetherClient(new TetherClientOptions { Endpoint = server.LocalEndPoint, Credentials = new PasswordCredentials("alice", "wrong") });
        await Assert.ThrowsAsync<LoginRefusedException>(() => client.ConnectAsync().WaitAsync(TimeSpan.FromSeconds(10)));
    }

    private sealed class NobodyRealm : IRealm
    {
        public ValueTask<IReferenceable> GetAvatarAsync(string userName, RemoteReference? mind, TetherSession session, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("never reached");
    }
}
