using System.Text;
using Tether.Pb.Jelly;
using Tether.Pb.Protocol;
using Tether.Remoting;
using Tether.Remoting.Login;

namespace Tether.Pb.Remoting;

/// <summary>
/// A server's login over PB: twisted.cred's portal protocol (<c>login</c> answers a challenge and a one-shot challenger,
/// <c>respond</c> checks <c>md5(md5(password) + challenge)</c>), checked against the MD5 digests of the server's
/// <see cref="LoginOptions.Passwords"/> and completed by the same login gate as native logins: one login per
/// connection, the duplicate-login policy, the realm's avatar and its logout hook.
/// </summary>
internal sealed partial class PbSession
{
    /// <summary>What a Python client reaches as the root of a server with login.</summary>
    private sealed class PbLoginRoot(PbSession session, LoginEndpoint endpoint) : IPbCallable
    {
        public Task<object?> CallAsync(string method, IReadOnlyList<object?> arguments, IReadOnlyDictionary<string, object?> keywordArguments, CancellationToken cancellationToken)
        {
            if (method == "loginAnonymous")
            {
                return Task.FromException<object?>(PbCredentials.Refused("This server does not accept anonymous logins."));
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
            return Task.FromResult<object?>(new PbTuple(challenge, new Challenger(session, endpoint, userName, challenge)));
        }
    }

    /// <summary>One login attempt's second step; it answers one response only, right or wrong.</summary>
    private sealed class Challenger(PbSession session, LoginEndpoint endpoint, string userName, byte[] challenge) : IPbCallable
    {
        private int _used;

        public async Task<object?> CallAsync(string method, IReadOnlyList<object?> arguments, IReadOnlyDictionary<string, object?> keywordArguments, CancellationToken cancellationToken)
        {
            if (method != "respond" || arguments is not [byte[] response, var mind])
            {
                throw PbCredentials.NoSuchMethod(method);
            }

            var digests = (IPbPasswordDigests)endpoint.Options.Passwords!; // checked by TwistedPbProtocol.Validate
            if (Interlocked.Exchange(ref _used, 1) != 0
                || await digests.FindPbDigestAsync(userName, cancellationToken).ConfigureAwait(false) is not { } digest
                || !PbCredentials.Verify(digest, challenge, response))
            {
                throw PbCredentials.Refused();
            }

            var mindReference = mind is PbRemoteReference peerObject ? session.Import(peerObject) : null;
            try
            {
                return await endpoint.CompleteAsync(userName, mindReference, session, cancellationToken).ConfigureAwait(false);
            }
            catch (LoginRefusedException refused)
            {
                throw PbCredentials.Refused(refused.Message);
            }
        }
    }
}
