using System.Security.Cryptography;

namespace Tether.Remoting.Login;

/// <summary>The wire contract of a server's login root; the only thing a peer can reach before it logs in.</summary>
internal interface ILoginEndpoint : IReferenceable
{
    /// <summary>A fresh random challenge for a password login on this connection.</summary>
    Task<byte[]> ChallengeAsync();

    /// <summary>Completes a password login: <c>response = HMAC-SHA256(verifier, challenge)</c>.</summary>
    Task<IReferenceable> LoginAsync(string userName, byte[] response, RemoteReference? mind, TetherSession session, CancellationToken cancellationToken);

    /// <summary>Logs in with a bearer token.</summary>
    Task<IReferenceable> LoginWithTokenAsync(string token, RemoteReference? mind, TetherSession session, CancellationToken cancellationToken);
}

/// <summary>One connection's login root (it holds that connection's outstanding challenge).</summary>
internal sealed class LoginEndpoint(LoginGate gate) : ILoginEndpoint
{
    /// <summary>The server's login settings (another protocol's login checks its own credentials against them).</summary>
    public LoginOptions Options => gate.Options;

    private const string WrongCredentials = "Wrong user name or password.";
    private byte[]? _challenge;
    private int _loggedIn;

    public Task<byte[]> ChallengeAsync()
    {
        var challenge = RandomNumberGenerator.GetBytes(32);
        Volatile.Write(ref _challenge, challenge);
        return Task.FromResult(challenge);
    }

    public async Task<IReferenceable> LoginAsync(string userName, byte[] response, RemoteReference? mind, TetherSession session, CancellationToken cancellationToken)
    {
        // A challenge answers one attempt only, right or wrong.
        var challenge = Interlocked.Exchange(ref _challenge, null) ?? throw new LoginRefusedException("Ask for a challenge first (one per attempt).");
        var store = gate.Options.Passwords ?? throw new LoginRefusedException("This server does not accept password logins.");
        var verifier = await store.FindVerifierAsync(userName, cancellationToken).ConfigureAwait(false);
        if (!LoginGate.Verify(verifier, challenge, response))
        {
            throw new LoginRefusedException(WrongCredentials);
        }

        return await CompleteAsync(userName, mind, session, cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReferenceable> LoginWithTokenAsync(string token, RemoteReference? mind, TetherSession session, CancellationToken cancellationToken)
    {
        var checker = gate.Options.Tokens ?? throw new LoginRefusedException("This server does not accept token logins.");
        var userName = await checker.CheckAsync(token, cancellationToken).ConfigureAwait(false) ?? throw new LoginRefusedException("The token was not accepted.");
        return await CompleteAsync(userName, mind, session, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Completes a login whose credentials another protocol has checked (Twisted PB's MD5 challenge): one login per
    /// connection, the duplicate-login policy, the realm's avatar.
    /// </summary>
    public async Task<IReferenceable> CompleteAsync(string userName, RemoteReference? mind, TetherSession session, CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _loggedIn, 1) != 0)
        {
            throw new LoginRefusedException("This connection is already logged in.");
        }

        try
        {
            return await gate.CompleteLoginAsync(userName, mind, session, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            Volatile.Write(ref _loggedIn, 0);
            throw;
        }
    }
}
