namespace Tether.Remoting.Login;

/// <summary>Client-side login on a session whose peer is a server with <see cref="LoginOptions"/>.</summary>
public static class SessionLoginExtensions
{
    /// <summary>
    /// Logs in and returns a reference to the user's perspective (avatar). With a password, only a response to a fresh
    /// server challenge crosses the wire (native protocol: an HMAC over a PBKDF2 verifier; Twisted PB: PB's MD5
    /// challenge-response).
    /// </summary>
    /// <param name="session">The session to the server.</param>
    /// <param name="credentials">Password or token credentials.</param>
    /// <param name="mind">An object the server may call back (passed to the realm), or null.</param>
    /// <param name="cancellationToken">Cancels the login.</param>
    /// <returns>The perspective.</returns>
    /// <exception cref="LoginRefusedException">The server refused the credentials or the login.</exception>
    public static Task<RemoteReference> LoginAsync(this TetherSession session, Credentials credentials, IReferenceable? mind = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(credentials);
        return session.LoginAsync(credentials, mind, cancellationToken);
    }
}
