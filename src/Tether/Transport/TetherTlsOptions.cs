using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace Tether.Transport;

/// <summary>
/// TLS for a Tether connection (set <see cref="TetherConnectionOptions.Tls"/>; null means plain TCP). TLS wraps the whole
/// byte stream, preamble included. One class serves both ends: the listener needs <see cref="ServerCertificate"/>, the
/// connector needs nothing but a way to trust the listener (a certificate the operating system trusts for
/// <see cref="TargetHost"/>, a pin, or a callback).
/// </summary>
/// <remarks>
/// The peer's certificate is accepted in this order:
/// <list type="number">
/// <item>If <see cref="PinnedPeerCertificates"/> has entries, the peer's certificate must be one of them, whatever its
/// chain or name say; anything else is refused.</item>
/// <item>If <see cref="RemoteCertificateValidation"/> is set, its answer is final (after the pin check passed).</item>
/// <item>Otherwise a pinned certificate is accepted, and an unpinned one only when the operating system's validation
/// found no error (trusted chain, matching name).</item>
/// </list>
/// </remarks>
public sealed class TetherTlsOptions
{
    private const int Sha256HexLength = 64;

    private CachedContext? _serverContext;
    private CachedContext? _clientContext;

    /// <summary>The listener's certificate, with its private key. Required on the listening side.</summary>
    public X509Certificate2? ServerCertificate { get; set; }

    /// <summary>
    /// The connector's certificate, with its private key, presented when the listener asks for one (mutual TLS).
    /// Optional.
    /// </summary>
    public X509Certificate2? ClientCertificate { get; set; }

    /// <summary>
    /// The connector's name for the listener: sent as SNI and checked against the listener's certificate. Default: the
    /// host of the endpoint connected to (the IP address text for an <see cref="System.Net.IPEndPoint"/>).
    /// </summary>
    public string? TargetHost { get; set; }

    /// <summary>
    /// Listener side: connectors must present a certificate. Default false. Pinning peer certificates on the listener
    /// implies it.
    /// </summary>
    public bool ClientCertificateRequired { get; set; }

    /// <summary>
    /// SHA-256 hashes of the peer certificates this side accepts, as hexadecimal text (case and <c>:</c> separators
    /// ignored, so the output of <c>openssl x509 -noout -fingerprint -sha256</c> and of
    /// <see cref="X509Certificate.GetCertHashString(System.Security.Cryptography.HashAlgorithmName)"/> with SHA-256 both
    /// work). When any are set, the peer's certificate must be one of them regardless of its chain and name: this is how
    /// self-signed certificates are trusted. Empty by default.
    /// </summary>
    public ICollection<string> PinnedPeerCertificates { get; } = new List<string>();

    /// <summary>
    /// Decides about the peer's certificate after the pin check (see the remarks on <see cref="TetherTlsOptions"/>).
    /// The policy errors are the operating system's; <see cref="SslPolicyErrors.RemoteCertificateNotAvailable"/> is
    /// reported only when a certificate was required. Null (default): no error is accepted unless the certificate is
    /// pinned.
    /// </summary>
    public RemoteCertificateValidationCallback? RemoteCertificateValidation { get; set; }

    /// <summary>TLS versions allowed. Default <see cref="SslProtocols.None"/>: the operating system's choice.</summary>
    public SslProtocols EnabledProtocols { get; set; } = SslProtocols.None;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    /// <exception cref="ArgumentException">A pin is not a SHA-256 hash.</exception>
    public void Validate()
    {
        foreach (var pin in PinnedPeerCertificates)
        {
            if (NormalizePin(pin) is not { Length: Sha256HexLength } normalized || !normalized.All(char.IsAsciiHexDigit))
            {
                throw new ArgumentException(
                    $"PinnedPeerCertificates entry '{pin}' is not a SHA-256 hash (64 hexadecimal digits, ':' separators allowed).",
                    nameof(PinnedPeerCertificates));
            }
        }
    }

    /// <summary>
    /// Checks what only the listening side needs, and builds the certificate's chain now, so that a certificate
    /// problem stops the listener from starting instead of failing every handshake.
    /// </summary>
    /// <exception cref="ArgumentException">No server certificate, or one without its private key.</exception>
    internal void ValidateForListener()
    {
        if (ServerCertificate is not { HasPrivateKey: true })
        {
            throw new ArgumentException("TLS on the listening side needs a ServerCertificate with its private key.", nameof(ServerCertificate));
        }

        GetServerCertificateContext();
    }

    /// <summary>Upper-case hexadecimal without separators, the form <see cref="PeerCertificateValidator"/> compares.</summary>
    internal static string NormalizePin(string pin) =>
        (pin ?? string.Empty).Replace(":", string.Empty, StringComparison.Ordinal).Trim().ToUpperInvariant();

    /// <summary>The listener's certificate with its chain (see <see cref="GetContext"/>).</summary>
    internal SslStreamCertificateContext GetServerCertificateContext() =>
        GetContext(ref _serverContext, ServerCertificate ?? throw new InvalidOperationException("TLS needs a ServerCertificate on the listening side."));

    /// <summary>The connector's certificate with its chain, or null when it has none.</summary>
    internal SslStreamCertificateContext? GetClientCertificateContext() =>
        ClientCertificate is { } certificate ? GetContext(ref _clientContext, certificate) : null;

    /// <summary>
    /// A certificate with its chain, built once per certificate: building it for every handshake would cost a chain
    /// walk each time many agents reconnect at once. A context passed this way is always sent, whatever issuers the
    /// peer says it accepts, so self-signed client certificates work.
    /// </summary>
    private static SslStreamCertificateContext GetContext(ref CachedContext? cache, X509Certificate2 certificate)
    {
        var cached = Volatile.Read(ref cache);
        if (cached is null || !ReferenceEquals(cached.Certificate, certificate))
        {
            cached = new CachedContext(certificate, SslStreamCertificateContext.Create(certificate, additionalCertificates: null, offline: true));
            Volatile.Write(ref cache, cached);
        }

        return cached.Context;
    }

    private sealed record CachedContext(X509Certificate2 Certificate, SslStreamCertificateContext Context);
}
