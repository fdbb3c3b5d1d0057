using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Tether.Framing;
using Tether.Hosting;
using Tether.Tests.Infrastructure;
using Tether.Transport;

namespace Tether.Tests.Transport;

/// <summary>TLS on both ends over real loopback sockets, with certificates made in the test.</summary>
public sealed class TlsConnectionTests : IDisposable
{
    private readonly X509Certificate2 _serverCertificate = TestCertificates.Server();
    private readonly X509Certificate2 _clientCertificate = TestCertificates.Client();
    private readonly RecordingLoggerFactory _serverLog = new();

    public void Dispose()
    {
        _serverCertificate.Dispose();
        _clientCertificate.Dispose();
    }

    [Fact]
    public async Task A_client_pinning_the_server_certificate_connects_and_messages_flow_both_ways()
    {
        await using var listener = StartListener(new TetherTlsOptions { ServerCertificate = _serverCertificate });
        var accepting = listener.AcceptAsync().AsTask();
        await using var client = await ConnectAsync(listener, PinningServer());
        await using var server = await accepting;

        await client.DefaultChannel.SendAsync(Encoding.UTF8.GetBytes("hello over TLS"));
        Assert.Equal("hello over TLS", Encoding.UTF8.GetString(await ReceiveAsync(server)));

        // Larger than a TLS record and than the channel window, both ways at once.
        var large = RandomNumberGenerator.GetBytes(3 * 1024 * 1024);
        var receivedByServer = ReceiveAsync(server);
        var receivedByClient = ReceiveAsync(client);
        await Task.WhenAll(client.DefaultChannel.SendAsync(large).AsTask(), server.DefaultChannel.SendAsync(large).AsTask()).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(large, await receivedByServer);
        Assert.Equal(large, await receivedByClient);

        // TLS sits on the configured socket: its options and statistics still come from there.
        var tls = Assert.IsType<SslStreamTransport>(client.Transport);
        var socket = Assert.IsType<SocketTransport>(tls.InnerTransport).Socket;
        Assert.True(TcpSocketConfigurator.ReadBack(socket).NoDelay);
        Assert.Equal(_serverCertificate.Thumbprint, Assert.IsType<X509Certificate2>(tls.RemoteCertificate, exactMatch: false).Thumbprint);
        Assert.Null(Assert.IsType<SslStreamTransport>(server.Transport).RemoteCertificate); // no client certificate asked for
        if (OperatingSystem.IsLinux())
        {
            Assert.NotNull(client.GetTcpInfo());
        }
    }

    [Fact]
    public async Task A_client_pinning_another_certificate_is_refused_and_the_listener_keeps_serving_others()
    {
        await using var listener = StartListener(new TetherTlsOptions { ServerCertificate = _serverCertificate });
        var accepting = listener.AcceptAsync().AsTask();
        await using var established = await ConnectAsync(listener, PinningServer());
        await using var establishedServer = await accepting;

        using var impostor = TestCertificates.Server("impostor");
        var wrongPin = new TetherTlsOptions { PinnedPeerCertificates = { impostor.GetCertHashString(HashAlgorithmName.SHA256) } };
        var refused = await Assert.ThrowsAsync<ConnectionLostException>(() => ConnectAsync(listener, wrongPin));
        Assert.Equal(DisconnectReason.HandshakeFailed, refused.Reason);
        Assert.Contains(_serverCertificate.GetCertHashString(HashAlgorithmName.SHA256), refused.Disconnection.Detail, StringComparison.Ordinal);
        Assert.Contains("matches none of the 1 pinned certificate(s)", refused.Disconnection.Detail, StringComparison.Ordinal);

        // The listener logs the failed handshake and drops that connection only.
        await Eventually.TrueAsync(() => _serverLog.Messages.Any(m => m.Contains("Handshake with", StringComparison.Ordinal) && m.Contains("handshake_failed", StringComparison.Ordinal)), "the listener to log the failed handshake");
        await established.DefaultChannel.SendAsync(new byte[] { 1, 2, 3 });
        Assert.Equal(new byte[] { 1, 2, 3 }, await ReceiveAsync(establishedServer));
        var acceptingNext = listener.AcceptAsync().AsTask();
        await using var next = await ConnectAsync(listener, PinningServer());
        await using var nextServer = await acceptingNext;
        Assert.False(established.Disconnected.IsCompleted);
    }

    [Fact]
    public async Task An_untrusted_certificate_is_refused_without_a_pin_or_a_callback()
    {
        await using var listener = StartListener(new TetherTlsOptions { ServerCertificate = _serverCertificate });
        var refused = await Assert.ThrowsAsync<ConnectionLostException>(() => ConnectAsync(listener, new TetherTlsOptions()));
        Assert.Equal(DisconnectReason.HandshakeFailed, refused.Reason);
        Assert.Contains("not trusted (RemoteCertificateChainErrors)", refused.Disconnection.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_validation_callback_decides_about_a_certificate_the_system_does_not_trust()
    {
        await using var listener = StartListener(new TetherTlsOptions { ServerCertificate = _serverCertificate });
        var seen = SslPolicyErrors.None;
        var trusting = new TetherTlsOptions
        {
            RemoteCertificateValidation = (_, certificate, _, errors) =>
            {
                seen = errors;
                return certificate?.Subject == "CN=tether-test-server";
            },
        };
        var accepting = listener.AcceptAsync().AsTask();
        await using var client = await ConnectAsync(listener, trusting);
        await using var server = await accepting;
        Assert.Equal(SslPolicyErrors.RemoteCertificateChainErrors, seen); // the name matched the default target host, 127.0.0.1

        var refusing = new TetherTlsOptions { RemoteCertificateValidation = (_, _, _, _) => false };
        var refused = await Assert.ThrowsAsync<ConnectionLostException>(() => ConnectAsync(listener, refusing));
        Assert.Equal(DisconnectReason.HandshakeFailed, refused.Reason);
        Assert.Contains("the certificate validation callback refused", refused.Disconnection.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Mutual_tls_accepts_the_pinned_client_certificate_and_refuses_a_client_without_one()
    {
        var serverTls = new TetherTlsOptions
        {
            ServerCertificate = _serverCertificate,
            PinnedPeerCertificates = { _clientCertificate.GetCertHashString(HashAlgorithmName.SHA256) },
        };
        await using var listener = StartListener(serverTls);
        var accepting = listener.AcceptAsync().AsTask();
        var clientTls = PinningServer();
        clientTls.ClientCertificate = _clientCertificate;
        await using var client = await ConnectAsync(listener, clientTls);
        await using var server = await accepting;
        var seenByServer = Assert.IsType<SslStreamTransport>(server.Transport).RemoteCertificate;
        Assert.Equal(_clientCertificate.Thumbprint, Assert.IsType<X509Certificate2>(seenByServer, exactMatch: false).Thumbprint);

        // Without a certificate the client is refused: the server names the reason in its log.
        var refused = await Assert.ThrowsAsync<ConnectionLostException>(() => ConnectAsync(listener, PinningServer()));
        Assert.NotEqual(DisconnectReason.LocalClose, refused.Reason);
        await Eventually.TrueAsync(() => _serverLog.Messages.Any(m => m.Contains("presented no certificate", StringComparison.Ordinal)), "the listener to log the refusal");
        Assert.False(client.Disconnected.IsCompleted);
    }

    [Fact]
    public async Task A_plain_peer_and_a_tls_peer_do_not_talk()
    {
        await using var tlsListener = StartListener(new TetherTlsOptions { ServerCertificate = _serverCertificate });
        var plainToTls = await Assert.ThrowsAsync<ConnectionLostException>(() => TetherConnector.ConnectAsync(tlsListener.LocalEndPoint));
        Assert.Equal(DisconnectReason.HandshakeFailed, plainToTls.Reason);

        await using var plainListener = TetherListener.Start(new IPEndPoint(IPAddress.Loopback, 0));
        var tlsToPlain = await Assert.ThrowsAsync<ConnectionLostException>(() => ConnectAsync(plainListener, PinningServer()));
        Assert.Equal(DisconnectReason.HandshakeFailed, tlsToPlain.Reason);
    }

    [Fact]
    public async Task The_handshake_timeout_bounds_a_tls_handshake_that_never_answers()
    {
        using var silent = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        silent.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        silent.Listen();
        var options = new TetherConnectionOptions { Tls = PinningServer(), HandshakeTimeout = TimeSpan.FromMilliseconds(300) };
        var refused = await Assert.ThrowsAsync<ConnectionLostException>(() => TetherConnector.ConnectAsync(silent.LocalEndPoint!, options).WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(DisconnectReason.HandshakeFailed, refused.Reason);
        Assert.Contains("within 0.3 s", refused.Disconnection.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_listener_without_a_usable_server_certificate_does_not_start()
    {
        Assert.Throws<ArgumentException>(() => TetherListener.Start(new IPEndPoint(IPAddress.Loopback, 0), new TetherConnectionOptions { Tls = new TetherTlsOptions() }));
        using var publicOnly = X509CertificateLoader.LoadCertificate(_serverCertificate.Export(X509ContentType.Cert));
        Assert.Throws<ArgumentException>(() => TetherListener.Start(new IPEndPoint(IPAddress.Loopback, 0), new TetherConnectionOptions { Tls = new TetherTlsOptions { ServerCertificate = publicOnly } }));
        await Task.CompletedTask;
    }

    [Fact]
    public async Task A_zero_byte_wait_through_tls_completes_when_data_arrives_and_consumes_nothing()
    {
        var (a, b) = InMemoryTransport.CreatePair();
        using var client = SslStreamTransport.StartClient(a, PinningServer(), "localhost");
        using var server = SslStreamTransport.StartServer(b, new TetherTlsOptions { ServerCertificate = _serverCertificate });
        var serverWait = server.WaitForDataAsync(CancellationToken.None).AsTask();
        var clientWait = client.WaitForDataAsync(CancellationToken.None).AsTask();
        await Eventually.TrueAsync(() => client.RemoteCertificate is not null, "the TLS handshake");

        // Handshake records (and TLS 1.3 session tickets) are not application data: both sides still wait.
        await Task.Delay(50);
        Assert.False(serverWait.IsCompleted);
        Assert.False(clientWait.IsCompleted);

        await client.SendAsync("hello"u8.ToArray(), CancellationToken.None);
        Assert.Equal(0, await Eventually.CompletesAsync(serverWait, "the wait to see the data"));
        var buffer = new byte[16];
        var read = await server.ReceiveAsync(buffer, CancellationToken.None);
        Assert.Equal("hello", Encoding.UTF8.GetString(buffer, 0, read));
    }

    private TetherTlsOptions PinningServer() => new() { PinnedPeerCertificates = { TestCertificates.OpensslStylePin(_serverCertificate) } };

    private TetherListener StartListener(TetherTlsOptions tls) =>
        TetherListener.Start(new IPEndPoint(IPAddress.Loopback, 0), new TetherConnectionOptions { Tls = tls, LoggerFactory = _serverLog });

    private static Task<TetherConnection> ConnectAsync(TetherListener listener, TetherTlsOptions tls) =>
        TetherConnector.ConnectAsync(listener.LocalEndPoint, new TetherConnectionOptions { Tls = tls });

    private static async Task<byte[]> ReceiveAsync(TetherConnection connection)
    {
        using var message = (await connection.DefaultChannel.ReceiveAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10)))!.Value;
        return message.ToArray();
    }
}
