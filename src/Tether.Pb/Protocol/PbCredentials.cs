using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;

namespace Tether.Pb.Protocol;

/// <summary>
/// twisted.cred's PB challenge-response (<c>pb.respond</c>, <c>_PortalAuthChallenger.checkMD5Password</c>):
/// the server sends a random challenge, the client answers <c>md5(md5(password) + challenge)</c>, so the
/// password itself never crosses the wire. A server needs <c>md5(password)</c> (the <see cref="Digest"/>) to
/// check a response, so a store of slow salted hashes cannot serve PB logins. MD5 is what Twisted speaks; it is
/// no stronger than that.
/// </summary>
[SuppressMessage("Security", "CA5351:Do Not Use Broken Cryptographic Algorithms", Justification = "Twisted PB's login protocol is defined with MD5; interoperability requires it.")]
public static class PbCredentials
{
    /// <summary>What a PB server keeps to check logins: <c>md5(password)</c>.</summary>
    public static byte[] Digest(ReadOnlySpan<byte> password) => MD5.HashData(password);

    /// <summary>The client's response to <paramref name="challenge"/> for <paramref name="password"/>.</summary>
    public static byte[] Respond(ReadOnlySpan<byte> challenge, ReadOnlySpan<byte> password) =>
        RespondWithDigest(challenge, Digest(password));

    /// <summary>The response to <paramref name="challenge"/> for a password whose <see cref="Digest"/> is <paramref name="passwordDigest"/>.</summary>
    public static byte[] RespondWithDigest(ReadOnlySpan<byte> challenge, ReadOnlySpan<byte> passwordDigest) =>
        MD5.HashData([.. passwordDigest, .. challenge]);
}
