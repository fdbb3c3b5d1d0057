using System.Collections.Concurrent;
using System.Text;
using Tether.Pb.Protocol;
using Tether.Remoting.Login;

namespace Tether.Pb.Remoting;

/// <summary>
/// What a server needs to check Twisted PB logins: <c>md5(password)</c> per user (PB's challenge-response is defined
/// with it). An MD5 digest is far weaker than Tether's PBKDF2 verifier if the store leaks, and one observed PB login
/// lets an eavesdropper test passwords offline; keep PB logins on trusted networks.
/// </summary>
public interface IPbPasswordDigests
{
    /// <summary>Finds <c>md5(password)</c> of <paramref name="userName"/>.</summary>
    /// <param name="userName">The user.</param>
    /// <param name="cancellationToken">Cancels the lookup.</param>
    /// <returns>The digest, or null for an unknown user.</returns>
    ValueTask<byte[]?> FindPbDigestAsync(string userName, CancellationToken cancellationToken);
}

/// <summary>
/// Users and passwords kept in memory for a server that accepts both native and Twisted PB logins: each user's PBKDF2
/// verifier for the native protocol and MD5 digest for PB (see <see cref="IPbPasswordDigests"/> for what that costs).
/// </summary>
public sealed class PbCompatiblePasswordStore : IPasswordStore, IPbPasswordDigests
{
    private readonly ConcurrentDictionary<string, (byte[] Verifier, byte[] Digest)> _users = new(StringComparer.Ordinal);

    /// <summary>Adds or replaces a user.</summary>
    /// <param name="userName">The user.</param>
    /// <param name="password">The password.</param>
    /// <returns>This store, for chaining.</returns>
    public PbCompatiblePasswordStore Add(string userName, string password)
    {
        ArgumentNullException.ThrowIfNull(userName);
        ArgumentNullException.ThrowIfNull(password);
        _users[userName] = (PasswordVerifier.Derive(userName, password), PbCredentials.Digest(Encoding.UTF8.GetBytes(password)));
        return this;
    }

    /// <inheritdoc />
    public ValueTask<byte[]?> FindVerifierAsync(string userName, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_users.TryGetValue(userName, out var user) ? user.Verifier : null);

    /// <inheritdoc />
    public ValueTask<byte[]?> FindPbDigestAsync(string userName, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_users.TryGetValue(userName, out var user) ? user.Digest : null);
}
