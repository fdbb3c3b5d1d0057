using System.Collections.Concurrent;

namespace Tether.Remoting.Login;

/// <summary>Looks up the password verifier of a user (see <see cref="PasswordVerifier"/>).</summary>
public interface IPasswordStore
{
    /// <summary>Finds the verifier of <paramref name="userName"/>.</summary>
    /// <param name="userName">The user.</param>
    /// <param name="cancellationToken">Cancels the lookup.</param>
    /// <returns>The verifier, or null for an unknown user.</returns>
    ValueTask<byte[]?> FindVerifierAsync(string userName, CancellationToken cancellationToken);
}

/// <summary>Checks a bearer token.</summary>
public interface ITokenChecker
{
    /// <summary>Checks <paramref name="token"/>.</summary>
    /// <param name="token">The token the client sent.</param>
    /// <param name="cancellationToken">Cancels the check.</param>
    /// <returns>The user name the token belongs to, or null if it is not valid.</returns>
    ValueTask<string?> CheckAsync(string token, CancellationToken cancellationToken);
}

/// <summary>Users and passwords kept in memory (only their verifiers are stored).</summary>
public sealed class InMemoryPasswordStore : IPasswordStore
{
    private readonly ConcurrentDictionary<string, byte[]> _verifiers = new(StringComparer.Ordinal);

    /// <summary>Adds or replaces a user.</summary>
    /// <param name="userName">The user.</param>
    /// <param name="password">The password.</param>
    /// <returns>This store, for chaining.</returns>
    public InMemoryPasswordStore Add(string userName, string password)
    {
        _verifiers[userName] = PasswordVerifier.Derive(userName, password);
        return this;
    }

    /// <inheritdoc />
    public ValueTask<byte[]?> FindVerifierAsync(string userName, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_verifiers.TryGetValue(userName, out var verifier) ? verifier : null);
}

/// <summary>Hands out each user's perspective (avatar) after login, and hears when that user's connection ends.</summary>
public interface IRealm
{
    /// <summary>Returns the perspective object of <paramref name="userName"/>; the client receives a reference to it.</summary>
    /// <param name="userName">Who logged in.</param>
    /// <param name="mind">The object the client passed at login (for the server to call back), or null.</param>
    /// <param name="session">The connection.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The avatar.</returns>
    ValueTask<IReferenceable> GetAvatarAsync(string userName, RemoteReference? mind, TetherSession session, CancellationToken cancellationToken);

    /// <summary>The logout hook: the user's connection ended (for any reason) or was replaced by a newer login.</summary>
    /// <param name="userName">Who logged out.</param>
    /// <param name="avatar">The avatar handed out at login.</param>
    /// <param name="disconnection">How the connection ended.</param>
    /// <returns>A task for the hook.</returns>
    ValueTask LogoutAsync(string userName, IReferenceable avatar, Disconnection disconnection) => ValueTask.CompletedTask;
}
