using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Tether.Transport;

/// <summary>
/// Applies the certificate policy of <see cref="TetherTlsOptions"/> to one peer certificate: pins first, then the
/// user's callback, then the operating system's verdict. It keeps the reason for a refusal, because the exception
/// <see cref="SslStream"/> raises only says that the callback said no.
/// </summary>
internal sealed class PeerCertificateValidator
{
    private readonly HashSet<string> _pins;
    private readonly RemoteCertificateValidationCallback? _callback;
    private readonly bool _certificateRequired;

    /// <summary>Creates the policy for one connection.</summary>
    /// <param name="options">The TLS options (pins already validated).</param>
    /// <param name="certificateRequired">Whether the peer must present a certificate (always for a server's).</param>
    public PeerCertificateValidator(TetherTlsOptions options, bool certificateRequired)
    {
        _pins = new HashSet<string>(options.PinnedPeerCertificates.Select(TetherTlsOptions.NormalizePin), StringComparer.Ordinal);
        _callback = options.RemoteCertificateValidation;
        _certificateRequired = certificateRequired || _pins.Count > 0;
    }

    /// <summary>Whether the peer must present a certificate: asked for, or needed to check a pin.</summary>
    public bool CertificateRequired => _certificateRequired;

    /// <summary>Why the last certificate was refused; null if none was.</summary>
    public string? Rejection { get; private set; }

    /// <summary>The <see cref="RemoteCertificateValidationCallback"/> given to <see cref="SslStream"/>.</summary>
    /// <param name="sender">The <see cref="SslStream"/>.</param>
    /// <param name="certificate">The peer's certificate, if it sent one.</param>
    /// <param name="chain">The chain the operating system built.</param>
    /// <param name="errors">What the operating system found wrong.</param>
    /// <returns>True to accept the peer.</returns>
    public bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (!_certificateRequired)
        {
            // As SslStream itself does without a callback: a certificate nobody asked for is not an error when absent.
            errors &= ~SslPolicyErrors.RemoteCertificateNotAvailable;
        }

        Rejection = Judge(sender, certificate, chain, errors);
        return Rejection is null;
    }

    private string? Judge(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (_pins.Count > 0)
        {
            if (certificate is null)
            {
                return "the peer presented no certificate, but certificates are pinned";
            }

            var hash = certificate.GetCertHashString(HashAlgorithmName.SHA256);
            if (!_pins.Contains(hash))
            {
                return $"the peer's certificate (SHA-256 {hash}, subject '{certificate.Subject}') matches none of the {_pins.Count} pinned certificate(s)";
            }
        }

        if (_callback is not null)
        {
            return _callback(sender, certificate, chain, errors) ? null : $"the certificate validation callback refused the peer's certificate ({errors})";
        }

        // A pin is the trust anchor: chain and name errors do not matter for a pinned certificate.
        return _pins.Count > 0 || errors == SslPolicyErrors.None
            ? null
            : $"the peer's certificate is not trusted ({errors}); pin it or supply a validation callback to trust it";
    }
}
