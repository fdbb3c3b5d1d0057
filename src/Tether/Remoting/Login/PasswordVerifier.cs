using System.Security.Cryptography;
using System.Text;

namespace Tether.Remoting.Login;

/// <summary>
/// The password-derived key both ends compute: PBKDF2-SHA256 of the password, salted with the user name. The server
/// may store only this verifier; the client derives it from the password it was given. Responses are
/// HMAC-SHA256(verifier, challenge), so what crosses the wire is useless for any other challenge.
/// </summary>
public static class PasswordVerifier
{
    /// <summary>PBKDF2 iterations: slows offline guessing from a stolen verifier; cheap enough for one login.</summary>
    public const int Iterations = 20_000;

    private const int Length = 32;

    /// <summary>Derives the verifier for <paramref name="userName"/> and <paramref name="password"/>.</summary>
    /// <param name="userName">The user.</param>
    /// <param name="password">The password.</param>
    /// <returns>32 bytes.</returns>
    public static byte[] Derive(string userName, string password)
    {
        ArgumentNullException.ThrowIfNull(userName);
        ArgumentNullException.ThrowIfNull(password);
        return Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), Encoding.UTF8.GetBytes("tether-login:" + userName), Iterations, HashAlgorithmName.SHA256, Length);
    }

    internal static byte[] Respond(byte[] verifier, byte[] challenge) => HMACSHA256.HashData(verifier, challenge);
}
