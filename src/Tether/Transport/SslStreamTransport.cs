using System.Net;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace Tether.Transport;

/// <summary>
/// TLS (<see cref="SslStream"/>) over another transport, normally a <see cref="SocketTransport"/>. The TLS handshake
/// starts when the transport is created and the first receive and send wait for it, so the connection's own
/// handshake timeout bounds TLS and preamble together and a TLS failure ends the connection like any other
/// transport error, classified as <see cref="DisconnectReason.HandshakeFailed"/>.
/// </summary>
/// <remarks>
/// Socket-level behaviour stays with the inner transport: socket options and TCP_INFO, the adaptive
/// TCP_NOTSENT_LOWAT (every TLS record is sent through it), FIN, and RST on abort. Zero-byte reads pass through
/// <see cref="SslStream"/>, which waits with a zero-byte read on the inner transport before it rents its record
/// buffer and returns that buffer once drained, so an idle TLS connection holds no receive buffer either.
/// </remarks>
public sealed class SslStreamTransport : ITransport
{
    private readonly ITransport _inner;
    private readonly SslStream _ssl;
    private readonly PeerCertificateValidator _validator;
    private readonly Task _authentication;
    private int _disposed;

    private SslStreamTransport(ITransport inner, PeerCertificateValidator validator, Func<SslStream, Task> authenticate)
    {
        _inner = inner;
        _validator = validator;
        _ssl = new SslStream(new TransportStream(inner), leaveInnerStreamOpen: true);
        _authentication = authenticate(_ssl);
    }

    /// <summary>The transport under TLS (for socket options and statistics).</summary>
    public ITransport InnerTransport => _inner;

    /// <summary>The peer's certificate once the TLS handshake has checked it; null before, or if the peer sent none.</summary>
    public X509Certificate? RemoteCertificate => _authentication.IsCompletedSuccessfully ? _ssl.RemoteCertificate : null;

    /// <inheritdoc />
    public EndPoint? LocalEndPoint => _inner.LocalEndPoint;

    /// <inheritdoc />
    public EndPoint? RemoteEndPoint => _inner.RemoteEndPoint;

    /// <summary>
    /// Always false: the socket's byte count says nothing about whether a whole TLS record is there, and a read that
    /// waits for the rest of one would hold the connection's receive buffer. The zero-byte wait answers at once when
    /// <see cref="SslStream"/> has decrypted bytes left over.
    /// </summary>
    public bool HasBufferedData => false;

    /// <summary>Starts the TLS handshake as the client (the side that connected).</summary>
    /// <param name="inner">A connected transport; owned by the new transport from now on.</param>
    /// <param name="options">TLS options (validated).</param>
    /// <param name="targetHost">The listener's name: sent as SNI and checked against its certificate.</param>
    /// <returns>The transport; its first receive and send complete the handshake.</returns>
    public static SslStreamTransport StartClient(ITransport inner, TetherTlsOptions options, string targetHost)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrEmpty(targetHost);
        var validator = new PeerCertificateValidator(options, certificateRequired: true);
        var authentication = new SslClientAuthenticationOptions
        {
            TargetHost = targetHost,
            ClientCertificateContext = options.GetClientCertificateContext(),
            EnabledSslProtocols = options.EnabledProtocols,
            RemoteCertificateValidationCallback = validator.Validate,
        };
        return new SslStreamTransport(inner, validator, ssl => ssl.AuthenticateAsClientAsync(authentication));
    }

    /// <summary>Starts the TLS handshake as the server (the side that accepted).</summary>
    /// <param name="inner">A connected transport; owned by the new transport from now on.</param>
    /// <param name="options">TLS options (validated) with a <see cref="TetherTlsOptions.ServerCertificate"/>.</param>
    /// <returns>The transport; its first receive and send complete the handshake.</returns>
    public static SslStreamTransport StartServer(ITransport inner, TetherTlsOptions options)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(options);
        var validator = new PeerCertificateValidator(options, options.ClientCertificateRequired);
        var authentication = new SslServerAuthenticationOptions
        {
            ServerCertificateContext = options.GetServerCertificateContext(),
            ClientCertificateRequired = validator.CertificateRequired,
            EnabledSslProtocols = options.EnabledProtocols,
            RemoteCertificateValidationCallback = validator.Validate,
        };
        return new SslStreamTransport(inner, validator, ssl => ssl.AuthenticateAsServerAsync(authentication));
    }

    /// <inheritdoc />
    public ValueTask<int> WaitForDataAsync(CancellationToken cancellationToken) => ReadAsync(Memory<byte>.Empty, cancellationToken);

    /// <inheritdoc />
    public ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken) => ReadAsync(buffer, cancellationToken);

    /// <inheritdoc />
    public ValueTask SendAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken) =>
        _authentication.IsCompletedSuccessfully ? _ssl.WriteAsync(buffer, cancellationToken) : SendAfterHandshakeAsync(buffer, cancellationToken);

    /// <summary>Ends the outbound direction with a TCP FIN; the Tether CLOSE frame inside TLS is the authenticated end.</summary>
    public void ShutdownSend() => _inner.ShutdownSend();

    /// <inheritdoc />
    public void Abort()
    {
        _inner.Abort();
        Dispose();
    }

    /// <inheritdoc />
    public (DisconnectReason Reason, string Detail) Classify(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);

        // Our own refusal first: SslStream's exception only says that the validation callback said no.
        if (_validator.Rejection is { } rejection)
        {
            return (DisconnectReason.HandshakeFailed, $"TLS handshake failed: {rejection}");
        }

        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is AuthenticationException)
            {
                return (DisconnectReason.HandshakeFailed, $"TLS handshake failed: {Describe(e)}");
            }
        }

        // Whatever ends the stream before TLS is up (the peer closing after refusing us, a reset) is a failed
        // handshake, as it is for the Tether preamble.
        var (reason, detail) = _inner.Classify(exception);
        return _authentication.IsCompletedSuccessfully || reason == DisconnectReason.LocalClose
            ? (reason, detail)
            : (DisconnectReason.HandshakeFailed, $"TLS handshake failed: {detail}");
    }

    /// <inheritdoc />
    public (DisconnectReason Reason, string Detail)? ClassifyEndOfStream() => _inner.ClassifyEndOfStream();

    /// <inheritdoc />
    public TcpInfo? GetTcpInfo() => _inner.GetTcpInfo();

    /// <inheritdoc />
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            // The inner transport first: that ends any pending read or write, including the handshake's.
            _inner.Dispose();
            _ssl.Dispose();
        }
    }

    /// <summary>An exception's message with those of its inner exceptions, which carry the TLS library's reason.</summary>
    private static string Describe(Exception exception)
    {
        var messages = new List<string>();
        for (var e = exception; e is not null; e = e.InnerException)
        {
            messages.Add(e.Message);
        }

        return string.Join(" -> ", messages);
    }

    private ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken) =>
        _authentication.IsCompletedSuccessfully ? _ssl.ReadAsync(buffer, cancellationToken) : ReadAfterHandshakeAsync(buffer, cancellationToken);

    private async ValueTask<int> ReadAfterHandshakeAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        await _authentication.WaitAsync(cancellationToken).ConfigureAwait(false);
        return await _ssl.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask SendAfterHandshakeAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken)
    {
        await _authentication.WaitAsync(cancellationToken).ConfigureAwait(false);
        await _ssl.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
    }
}
