namespace Tether.Pb.Protocol;

/// <summary>
/// A successful PB login: who logged in (null for an anonymous login) and the client object ("mind") they
/// offered, if any.
/// </summary>
public sealed record PbLogin(string? Username, object? Mind);

/// <summary>
/// The accepting side of twisted.cred's PB login (<c>PBServerFactory(Portal)</c>), to be used as
/// <see cref="PbConnectionOptions.Root"/>: a Python <c>PBClientFactory.login</c> calls <c>login(username)</c>,
/// gets a random challenge and a challenger, answers <c>respond(md5(md5(password) + challenge), mind)</c> and
/// receives its avatar; <c>loginAnonymous(mind)</c> works when the portal allows it. Before that, nothing but
/// the login methods is reachable.
/// </summary>
public sealed class PbPortal : IPbCallable
{
    private readonly Func<PbLogin, IPbCallable> _realm;
    private readonly Action<PbLogin>? _logout;
    private readonly PbPortalProtocol _protocol;

    /// <summary>Creates a portal.</summary>
    /// <param name="passwordDigestFor">
    /// A user's <see cref="PbCredentials.Digest"/> (<c>md5(password)</c>), or null for an unknown user.
    /// </param>
    /// <param name="realm">The avatar (perspective) for a user who logged in; its methods are what the client calls.</param>
    /// <param name="logout">
    /// Runs once per login when the client releases the avatar or the connection ends, whichever comes first.
    /// </param>
    /// <param name="allowAnonymous">Whether <c>loginAnonymous</c> succeeds (with a null user name).</param>
    public PbPortal(Func<string, byte[]?> passwordDigestFor, Func<PbLogin, IPbCallable> realm, Action<PbLogin>? logout = null, bool allowAnonymous = false)
    {
        ArgumentNullException.ThrowIfNull(passwordDigestFor);
        ArgumentNullException.ThrowIfNull(realm);
        _realm = realm;
        _logout = logout;
        _protocol = new PbPortalProtocol(
            (userName, _) => ValueTask.FromResult(passwordDigestFor(userName)),
            (userName, mind, _) => Task.FromResult<object?>(LogIn(new PbLogin(userName, mind))),
            allowAnonymous);
    }

    /// <inheritdoc />
    public Task<object?> CallAsync(string method, IReadOnlyList<object?> arguments, IReadOnlyDictionary<string, object?> keywordArguments, CancellationToken cancellationToken) =>
        _protocol.CallAsync(method, arguments, keywordArguments, cancellationToken);

    /// <summary>The avatar for a successful login, which logs out when the client no longer holds it.</summary>
    private Avatar LogIn(PbLogin login) => new(_realm(login), () => _logout?.Invoke(login));

    /// <summary>What the client holds after login: the realm's avatar, logging out when released.</summary>
    private sealed class Avatar(IPbCallable perspective, Action logout) : IPbCallable, IPbExportLifetime
    {
        public Task<object?> CallAsync(string method, IReadOnlyList<object?> arguments, IReadOnlyDictionary<string, object?> keywordArguments, CancellationToken cancellationToken) =>
            perspective.CallAsync(method, arguments, keywordArguments, cancellationToken);

        public void Released() => logout();
    }
}
