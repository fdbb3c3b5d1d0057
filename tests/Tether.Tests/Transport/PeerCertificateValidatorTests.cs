using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Tether.Tests.Infrastructure;
using Tether.Transport;

namespace Tether.Tests.Transport;

/// <summary>The certificate policy on its own: pins, callback, the system's verdict, and pin syntax.</summary>
public sealed class PeerCertificateValidatorTests : IDisposable
{
    private const SslPolicyErrors Untrusted = SslPolicyErrors.RemoteCertificateChainErrors;
    private readonly X509Certificate2 _certificate = TestCertificates.Server();
    private readonly X509Certificate2 _other = TestCertificates.Server("other");

    public void Dispose()
    {
        _certificate.Dispose();
        _other.Dispose();
    }

    [Fact]
    public void A_pinned_certificate_is_accepted_whatever_its_chain_and_name_say()
    {
        var validator = Validator(new TetherTlsOptions { PinnedPeerCertificates = { TestCertificates.OpensslStylePin(_certificate) } });
        Assert.True(validator.Validate(this, _certificate, null, Untrusted | SslPolicyErrors.RemoteCertificateNameMismatch));
        Assert.Null(validator.Rejection);
    }

    [Fact]
    public void With_pins_set_an_unpinned_certificate_is_refused_even_when_the_system_trusts_it()
    {
        var validator = Validator(new TetherTlsOptions
        {
            PinnedPeerCertificates = { _certificate.GetCertHashString(HashAlgorithmName.SHA256) },
            RemoteCertificateValidation = (_, certificate, _, _) => certificate is not null,
        });
        Assert.False(validator.Validate(this, _other, null, SslPolicyErrors.None));
        Assert.Contains(_other.GetCertHashString(HashAlgorithmName.SHA256), validator.Rejection, StringComparison.Ordinal);
        Assert.False(validator.Validate(this, null, null, SslPolicyErrors.RemoteCertificateNotAvailable));
        Assert.Contains("no certificate", validator.Rejection, StringComparison.Ordinal);
    }

    [Fact]
    public void The_callback_has_the_last_word_after_the_pin_check()
    {
        var calls = 0;
        var validator = Validator(new TetherTlsOptions
        {
            PinnedPeerCertificates = { _certificate.GetCertHashString(HashAlgorithmName.SHA256) },
            RemoteCertificateValidation = (_, _, _, _) => ++calls > 1,
        });
        Assert.False(validator.Validate(this, _certificate, null, Untrusted));
        Assert.Contains("callback refused", validator.Rejection, StringComparison.Ordinal);
        Assert.True(validator.Validate(this, _certificate, null, Untrusted));
        Assert.Null(validator.Rejection);
        Assert.False(validator.Validate(this, _other, null, SslPolicyErrors.None));
        Assert.Equal(2, calls); // not consulted for a certificate that failed the pin check
    }

    [Fact]
    public void Without_pins_or_callback_the_system_verdict_stands()
    {
        var validator = Validator(new TetherTlsOptions());
        Assert.True(validator.Validate(this, _certificate, null, SslPolicyErrors.None));
        Assert.False(validator.Validate(this, _certificate, null, Untrusted));
        Assert.Contains("not trusted (RemoteCertificateChainErrors)", validator.Rejection, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_certificate_nobody_asked_for_is_not_an_error_and_the_callback_is_not_told_otherwise()
    {
        var seen = (SslPolicyErrors?)null;
        var optional = new PeerCertificateValidator(new TetherTlsOptions { RemoteCertificateValidation = (_, _, _, e) => (seen = e) == SslPolicyErrors.None }, certificateRequired: false);
        Assert.True(optional.Validate(this, null, null, SslPolicyErrors.RemoteCertificateNotAvailable));
        Assert.Equal(SslPolicyErrors.None, seen);

        var required = new PeerCertificateValidator(new TetherTlsOptions(), certificateRequired: true);
        Assert.False(required.Validate(this, null, null, SslPolicyErrors.RemoteCertificateNotAvailable));

        var pinning = new PeerCertificateValidator(new TetherTlsOptions { PinnedPeerCertificates = { _certificate.GetCertHashString(HashAlgorithmName.SHA256) } }, certificateRequired: false);
        Assert.True(pinning.CertificateRequired);
    }

    [Theory]
    [InlineData("abcd")]
    [InlineData("zz:00")]
    [InlineData("SHA256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")]
    public void Pins_that_are_not_sha256_hashes_are_rejected_by_validation(string pin)
    {
        var options = new TetherConnectionOptions { Tls = new TetherTlsOptions { PinnedPeerCertificates = { pin } } };
        var error = Assert.Throws<ArgumentException>(options.Validate);
        Assert.Contains(pin, error.Message, StringComparison.Ordinal);
    }

    private static PeerCertificateValidator Validator(TetherTlsOptions options) => new(options, certificateRequired: true);
}
