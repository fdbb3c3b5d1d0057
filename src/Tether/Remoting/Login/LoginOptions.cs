namespace Tether.Remoting.Login;

/// <summary>What a server does when a user logs in while it still holds a connection of that same user.</summary>
public enum DuplicateLoginPolicy
{
    /// <summary>
    /// Probe the old connection with a heartbeat; if it answers within <see cref="LoginOptions.DuplicateProbeTimeout"/>
    /// the new login is refused (the user really is connected twice), otherwise the old, half-open connection is
    /// aborted and the new one logs in. The default: a worker whose NAT flapped gets back in within seconds.
    /// </summary>
    ProbeOld,

    /// <summary>Always abort the old connection and accept the new login.</summary>
    ReplaceOld,

    /// <summary>Refuse the new login while the old connection lasts (until liveness declares it dead).</summary>
    RefuseNew,
}

/// <summary>Login on a server: who may log in, with what, and what they get.</summary>
public sealed class LoginOptions
{
    /// <summary>Checks user names and passwords (challenge-response); null to refuse password logins.</summary>
    public IPasswordStore? Passwords { get; set; }

    /// <summary>Checks bearer tokens; null to refuse token logins.</summary>
    public ITokenChecker? Tokens { get; set; }

    /// <summary>Hands out perspectives and hears logouts. Required.</summary>
    public IRealm? Realm { get; set; }

    /// <summary>What to do with a second login of a user who is still connected (default <see cref="DuplicateLoginPolicy.ProbeOld"/>).</summary>
    public DuplicateLoginPolicy DuplicateLogin { get; set; } = DuplicateLoginPolicy.ProbeOld;

    /// <summary>How long the old connection has to answer a probe (default 5 s; keep it above the peers' round-trip time under load).</summary>
    public TimeSpan DuplicateProbeTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Checks the values.</summary>
    /// <exception cref="ArgumentException">No realm, no checker, or a non-positive probe timeout.</exception>
    public void Validate()
    {
        if (Realm is null)
        {
            throw new ArgumentException("LoginOptions.Realm is required: it hands out the users' perspectives.", nameof(Realm));
        }

        if (Passwords is null && Tokens is null)
        {
            throw new ArgumentException("LoginOptions needs Passwords or Tokens (or both).", nameof(Passwords));
        }

        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(DuplicateProbeTimeout, TimeSpan.Zero, nameof(DuplicateProbeTimeout));
    }
}

/// <summary>The server refused a login (wrong credentials, or the user is already connected).</summary>
public sealed class LoginRefusedException : Exception
{
    /// <summary>Creates the exception.</summary>
    public LoginRefusedException()
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">Why.</param>
    public LoginRefusedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">Why.</param>
    /// <param name="innerException">The cause.</param>
    public LoginRefusedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
