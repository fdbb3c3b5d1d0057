namespace Tether.Remoting.Login;

/// <summary>What a client proves its identity with.</summary>
public abstract record Credentials;

/// <summary>
/// A user name and password. The password never crosses the wire: the server sends a random challenge and the client
/// answers with an HMAC of it keyed by a verifier derived from the password (<see cref="PasswordVerifier"/>).
/// </summary>
/// <param name="UserName">The user.</param>
/// <param name="Password">The password.</param>
public sealed record PasswordCredentials(string UserName, string Password) : Credentials
{
    /// <inheritdoc />
    public override string ToString() => $"PasswordCredentials {{ UserName = {UserName} }}";
}

/// <summary>
/// A bearer token checked by the server's <see cref="ITokenChecker"/>. The token itself is sent, so use it over TLS.
/// </summary>
/// <param name="Token">The token.</param>
public sealed record TokenCredentials(string Token) : Credentials
{
    /// <inheritdoc />
    public override string ToString() => "TokenCredentials { Token = *** }";
}
