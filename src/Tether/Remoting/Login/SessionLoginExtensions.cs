namespace Tether.Remoting.Login;

/// <summary>Client-side login on a session whose peer is a server with <see cref="LoginOptions"/>.</summary>
public static class SessionLoginExtensions
{
    /// <summary>
    /// Logs in and returns a reference to the user's perspective (avatar). With a password, only an HMAC of a fresh
    /// server challenge crosses the wire.
    /// </summary>
    /// <param name="session">The session to the server.</param>
    /// <param name="credentials">Password or token credentials.</param>
    /// <param name="mind">An object the server may call back (passed to the realm), or null.</param>
    /// <param name="cancellationToken">Cancels the login.</param>
    /// <returns>The perspective.</returns>
    /// <exception cref="LoginRefusedException">The server refused the credentials or the login.</exception>
    public static async Task<RemoteReference> LoginAsync(this TetherSession session, Credentials credentials, IReferenceable? mind = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(credentials);
        try
        {
            switch (credentials)
            {
                case PasswordCredentials password:
                    var challenge = await session.Root.CallAsync<byte[]>("Challenge", cancellationToken).ConfigureAwait(false);
                    var verifier = PasswordVerifier.Derive(password.UserName, password.Password);
                    return await session.Root.CallAsync<RemoteReference>("Login", password.UserName, PasswordVerifier.Respond(verifier, challenge), mind, cancellationToken).ConfigureAwait(false);
                case TokenCredentials token:
                    return await session.Root.CallAsync<RemoteReference>("LoginWithToken", token.Token, mind, cancellationToken).ConfigureAwait(false);
                default:
                    throw new ArgumentException($"Unsupported credentials {credentials.GetType()}.", nameof(credentials));
            }
        }
        catch (RemoteCallException e) when (e.RemoteType == typeof(LoginRefusedException).FullName)
        {
            throw new LoginRefusedException(e.Message, e);
        }
    }
}
