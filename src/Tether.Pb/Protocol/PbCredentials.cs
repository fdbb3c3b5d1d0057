using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;

namespace Tether.Pb.Protocol;

/// <summary>
/// twisted.cred's PB challenge-response (<c>pb.respond</c>, <c>_PortalAuthChallenger.checkMD5Password</c>):
/// the server sends a random 16-byte challenge, the client answers <c>md5(md5(password) + challenge)</c>,
/// so the password itself never crosses the wire. MD5 is what Twisted speaks; it is no stronger than that.
/// </summary>
public static class PbCredentials
{
    /// <summary>The response to <paramref name="challenge"/> for <paramref name="password"/>.</summary>
    [SuppressMessage("Security", "CA5351:Do Not Use Broken Cryptographic Algorithms", Justification = "Twisted PB's login protocol is defined with MD5; interoperability requires it.")]
    public static byte[] Respond(ReadOnlySpan<byte> challenge, ReadOnlySpan<byte> password)
    {
        Span<byte> buffer = stackalloc byte[MD5.HashSizeInBytes];
        MD5.HashData(password, buffer);
        return MD5.HashData([.. buffer, .. challenge]);
    }
}
