using System.Text;
using Tether.Pb.Jelly;

namespace Tether.Pb.Protocol;

/// <summary>
/// twisted.cred's portal protocol over PB, what every accepting login root speaks: <c>login(username)</c> answers a
/// random challenge and a challenger that takes one <c>respond(md5(md5(password) + challenge), mind)</c>;
/// <c>loginAnonymous(mind)</c> logs in without a name where that is allowed. Where the password digests come from and
/// what a login yields are the owner's (<see cref="PbPortal"/>, or Tether's login gate over PB).
/// </summary>
/// <param name="digestFor">A user's <c>md5(password)</c>, or null for an unknown user.</param>
/// <param name="logIn">Completes a checked login (a null user name: anonymous) and returns the avatar to send.</param>
/// <param name="allowAnonymous">Whether <c>loginAnonymous</c> reaches <paramref name="logIn"/>.</param>
internal sealed class PbPortalProtocol(
    Func<string, CancellationToken, ValueTask<byte[]?>> digestFor,
    Func<string?, object?, CancellationToken, Task<object?>> logIn,
    bool allowAnonymous) : IPbCallable
{
    public Task<object?> CallAsync(string method, IReadOnlyList<object?> arguments, IReadOnlyDictionary<string, object?> keywordArguments, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        if (method == "loginAnonymous" && arguments is [var mind])
        {
            return allowAnonymous ? logIn(null, mind, cancellationToken) : Task.FromException<object?>(PbCredentials.Refused());
        }

        if (method != "login" || arguments is not [var name])
        {
            return Task.FromException<object?>(PbCredentials.NoSuchMethod(method));
        }

        var userName = name switch
        {
            byte[] bytes => Encoding.UTF8.GetString(bytes),
            string text => text,
            _ => null,
        };
        if (userName is null)
        {
            return Task.FromException<object?>(PbCredentials.Refused());
        }

        var challenge = PbCredentials.NewChallenge();
        return Task.FromResult<object?>(new PbTuple(challenge, new Challenger(this, userName, challenge)));
    }

    private async Task<object?> CheckAndLogInAsync(string userName, byte[] challenge, byte[] response, object? mind, CancellationToken cancellationToken)
    {
        if (await digestFor(userName, cancellationToken).ConfigureAwait(false) is not { } digest || !PbCredentials.Verify(digest, challenge, response))
        {
            throw PbCredentials.Refused();
        }

        return await logIn(userName, mind, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>One login attempt's second step; it answers the challenge it was created with, once, right or wrong.</summary>
    private sealed class Challenger(PbPortalProtocol portal, string userName, byte[] challenge) : IPbCallable
    {
        private int _used;

        public Task<object?> CallAsync(string method, IReadOnlyList<object?> arguments, IReadOnlyDictionary<string, object?> keywordArguments, CancellationToken cancellationToken)
        {
            if (method != "respond" || arguments is not [byte[] response, var mind])
            {
                return Task.FromException<object?>(PbCredentials.NoSuchMethod(method));
            }

            // A challenge answers one response: replaying a captured one must not work twice.
            return Interlocked.Exchange(ref _used, 1) != 0
                ? Task.FromException<object?>(PbCredentials.Refused())
                : portal.CheckAndLogInAsync(userName, challenge, response, mind, cancellationToken);
        }
    }
}
