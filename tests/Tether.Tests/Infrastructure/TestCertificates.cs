using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Tether.Tests.Infrastructure;

/// <summary>Self-signed certificates made on the spot (ECDSA P-256: fast to generate, accepted by every TLS stack).</summary>
internal static class TestCertificates
{
    private const string ServerAuth = "1.3.6.1.5.5.7.3.1";
    private const string ClientAuth = "1.3.6.1.5.5.7.3.2";

    /// <summary>A server certificate for 127.0.0.1 and localhost.</summary>
    public static X509Certificate2 Server(string name = "tether-test-server") => Create(name, ServerAuth);

    /// <summary>A client certificate for mutual TLS.</summary>
    public static X509Certificate2 Client(string name = "tether-test-client") => Create(name, ClientAuth);

    /// <summary>The pin of a certificate in the form users write it: lower case, with colons, as openssl prints it.</summary>
    public static string OpensslStylePin(X509Certificate2 certificate) =>
        string.Join(':', certificate.GetCertHash(HashAlgorithmName.SHA256).Select(b => b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture)));

    private static X509Certificate2 Create(string name, string usage)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(usage)], critical: false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: false));
        using var ephemeral = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));

        // Round-trip through PKCS#12 so the private key is usable by every platform's TLS stack.
        return X509CertificateLoader.LoadPkcs12(ephemeral.Export(X509ContentType.Pkcs12), password: null);
    }
}
