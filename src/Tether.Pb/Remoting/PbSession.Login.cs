using Tether.Pb.Protocol;
using Tether.Remoting.Login;

namespace Tether.Pb.Remoting;

/// <summary>
/// A server's login over PB: twisted.cred's portal protocol (<see cref="PbPortalProtocol"/>), checked against the MD5
/// digests of the server's <see cref="LoginOptions.Passwords"/> and completed by the same login gate as native logins:
/// one login per connection, the duplicate-login policy, the realm's avatar and its logout hook. No anonymous logins.
/// </summary>
internal sealed partial class PbSession
{
    /// <summary>What a Python client reaches as the root of a server with login.</summary>
    private PbPortalProtocol LoginRoot(LoginEndpoint endpoint)
    {
        var digests = (IPbPasswordDigests)endpoint.Options.Passwords!; // checked by TwistedPbProtocol.Validate
        return new PbPortalProtocol(digests.FindPbDigestAsync, (userName, mind, cancellationToken) => CompleteLoginAsync(endpoint, userName!, mind, cancellationToken), allowAnonymous: false);
    }

    private async Task<object?> CompleteLoginAsync(LoginEndpoint endpoint, string userName, object? mind, CancellationToken cancellationToken)
    {
        var mindReference = mind is PbRemoteReference peerObject ? Import(peerObject) : null;
        try
        {
            return await endpoint.CompleteAsync(userName, mindReference, this, cancellationToken).ConfigureAwait(false);
        }
        catch (LoginRefusedException refused)
        {
            throw PbCredentials.Refused(refused.Message);
        }
    }
}
