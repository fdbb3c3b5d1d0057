using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using Tether.Pb.Jelly;

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

    /// <summary>The size of a server's challenge (as twisted.cred's).</summary>
    internal const int ChallengeSize = 16;

    /// <summary>The failure type twisted.cred refuses a login with.</summary>
    internal const string UnauthorizedLogin = "twisted.cred.error.UnauthorizedLogin";

    /// <summary>A fresh random challenge.</summary>
    internal static byte[] NewChallenge() => RandomNumberGenerator.GetBytes(ChallengeSize);

    /// <summary>Whether <paramref name="response"/> answers <paramref name="challenge"/> for <paramref name="passwordDigest"/> (constant time).</summary>
    internal static bool Verify(ReadOnlySpan<byte> passwordDigest, ReadOnlySpan<byte> challenge, ReadOnlySpan<byte> response) =>
        CryptographicOperations.FixedTimeEquals(response, RespondWithDigest(challenge, passwordDigest));

    /// <summary>A refused login, as twisted.cred reports it.</summary>
    internal static PbRemoteCallException Refused(string message = "") => new(new PbFailure(UnauthorizedLogin, message));

    /// <summary>A call of a method the object does not have, as Twisted reports it.</summary>
    internal static PbRemoteCallException NoSuchMethod(string method) =>
        new(new PbFailure("twisted.spread.flavors.NoSuchMethod", $"No such method: remote_{method}"));

    /// <summary>The response to <paramref name="challenge"/> for a password whose <see cref="Digest"/> is <paramref name="passwordDigest"/>.</summary>
    public static byte[] RespondWithDigest(ReadOnlySpan<byte> challenge, ReadOnlySpan<byte> passwordDigest) =>
        MD5.HashData([.. passwordDigest, .. challenge]);
}
