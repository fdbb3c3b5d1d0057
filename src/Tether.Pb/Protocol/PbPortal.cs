using System.Security.Cryptography;
using System.Text;
using Tether.Pb.Jelly;

namespace Tether.Pb.Protocol;

/// <summary>A successful PB login: who logged in and the client object ("mind") they offered, if any.</summary>
public sealed record PbLogin(string Username, object? Mind);

/// <summary>
/// The accepting side of twisted.cred's PB login (<c>PBServerFactory(Portal)</c>), to be used as
/// <see cref="PbConnectionOptions.Root"/>: a Python <c>PBClientFactory.login</c> calls <c>login(username)</c>,
/// gets a random challenge and a challenger, answers <c>respond(md5(md5(password) + challenge), mind)</c> and
/// receives its avatar. Before that, nothing but <c>login</c> is reachable.
/// </summary>
public sealed class PbPortal : IPbCallable
{
    private const int ChallengeSize = 16;
    private const string Unauthorized = "twisted.cred.error.UnauthorizedLogin";

    private readonly Func<string, byte[]?> _passwordDigestFor;
    private readonly Func<PbLogin, IPbCallable> _realm;
    private readonly Action<PbLogin>? _logout;

    /// <summary>Creates a portal.</summary>
    /// <param name="passwordDigestFor">
    /// A user's <see cref="PbCredentials.Digest"/> (<c>md5(password)</c>), or null for an unknown user.
    /// </param>
    /// <param name="realm">The avatar (perspective) for a user who logged in; its methods are what the client calls.</param>
    /// <param name="logout">
    /// Runs once per login when the client releases the avatar or the connection ends, whichever comes first.
    /// </param>
    public PbPortal(Func<string, byte[]?> passwordDigestFor, Func<PbLogin, IPbCallable> realm, Action<PbLogin>? logout = null)
    {
        ArgumentNullException.ThrowIfNull(passwordDigestFor);
        ArgumentNullException.ThrowIfNull(realm);
        _passwordDigestFor = passwordDigestFor;
        _realm = realm;
        _logout = logout;
    }

    /// <inheritdoc />
    public Task<object?> CallAsync(string method, IReadOnlyList<object?> arguments, IReadOnlyDictionary<string, object?> keywordArguments, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        if (method != "login" || arguments is not [var name])
        {
            return Task.FromException<object?>(NoSuchMethod(method));
        }

        var username = name switch
        {
            byte[] bytes => Encoding.UTF8.GetString(bytes),
            string text => text,
            _ => null,
        };
        if (username is null)
        {
            return Task.FromException<object?>(Refused());
        }

        var challenge = RandomNumberGenerator.GetBytes(ChallengeSize);
        return Task.FromResult<object?>(new PbTuple(challenge, new Challenger(this, username, challenge)));
    }

    private static PbRemoteCallException NoSuchMethod(string method) =>
        new(new PbFailure("twisted.spread.flavors.NoSuchMethod", $"No such method: remote_{method}"));

    private static PbRemoteCallException Refused() => new(new PbFailure(Unauthorized, string.Empty));

    /// <summary>One login attempt's second step; answers the challenge it was created with, once.</summary>
    private sealed class Challenger(PbPortal portal, string username, byte[] challenge) : IPbCallable
    {
        private int _used;

        public Task<object?> CallAsync(string method, IReadOnlyList<object?> arguments, IReadOnlyDictionary<string, object?> keywordArguments, CancellationToken cancellationToken)
        {
            if (method != "respond" || arguments is not [byte[] response, var mind])
            {
                return Task.FromException<object?>(NoSuchMethod(method));
            }

            // A challenge answers one response: replaying a captured one must not work twice.
            if (Interlocked.Exchange(ref _used, 1) != 0 || portal._passwordDigestFor(username) is not { } digest
                || !CryptographicOperations.FixedTimeEquals(response, PbCredentials.RespondWithDigest(challenge, digest)))
            {
                return Task.FromException<object?>(Refused());
            }

            var login = new PbLogin(username, mind);
            return Task.FromResult<object?>(new Avatar(portal._realm(login), () => portal._logout?.Invoke(login)));
        }
    }

    /// <summary>What the client holds after login: the realm's avatar, logging out when released.</summary>
    private sealed class Avatar(IPbCallable perspective, Action logout) : IPbCallable, IPbExportLifetime
    {
        public Task<object?> CallAsync(string method, IReadOnlyList<object?> arguments, IReadOnlyDictionary<string, object?> keywordArguments, CancellationToken cancellationToken) =>
            perspective.CallAsync(method, arguments, keywordArguments, cancellationToken);

        public void Released() => logout();
    }
}
