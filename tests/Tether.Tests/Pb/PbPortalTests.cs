using Tether.Pb.Jelly;
using Tether.Pb.Protocol;

namespace Tether.Tests.Pb;

/// <summary>PbPortal called directly, as the connection would on a Python client's behalf.</summary>
public sealed class PbPortalTests
{
    private static readonly Dictionary<string, object?> NoKeywords = [];

    private readonly List<string> _logouts = [];
    private readonly PbPortal _portal;

    public PbPortalTests() =>
        _portal = new PbPortal(user => user == "alice" ? PbCredentials.Digest("secret"u8) : null, login => new Echo(login.Username!), login => _logouts.Add(login.Username!));

    [Fact]
    public async Task The_right_response_yields_the_avatar_and_releasing_it_logs_out_once()
    {
        var (challenge, challenger) = await LoginAsync("alice");
        Assert.Equal(16, challenge.Length);

        var avatar = Assert.IsAssignableFrom<IPbCallable>(await Respond(challenger, challenge, "secret"));
        Assert.Equal("alice", await avatar.CallAsync("whoami", [], NoKeywords, CancellationToken.None));

        var lifetime = Assert.IsAssignableFrom<IPbExportLifetime>(avatar);
        lifetime.Released();
        Assert.Equal(["alice"], _logouts);
    }

    [Theory]
    [InlineData("alice", "wrong")]
    [InlineData("mallory", "secret")]
    public async Task A_wrong_password_or_unknown_user_is_unauthorized(string user, string password)
    {
        var (challenge, challenger) = await LoginAsync(user);
        var refused = await Assert.ThrowsAsync<PbRemoteCallException>(() => Respond(challenger, challenge, password));
        Assert.Equal("twisted.cred.error.UnauthorizedLogin", refused.RemoteType);
    }

    [Fact]
    public async Task A_challenge_answers_one_response_so_a_replayed_response_fails()
    {
        var (challenge, challenger) = await LoginAsync("alice");
        await Respond(challenger, challenge, "secret");
        await Assert.ThrowsAsync<PbRemoteCallException>(() => Respond(challenger, challenge, "secret"));

        var (second, _) = await LoginAsync("alice");
        Assert.NotEqual(challenge, second);
    }

    [Fact]
    public async Task Anonymous_login_is_refused_unless_allowed()
    {
        var refused = await Assert.ThrowsAsync<PbRemoteCallException>(() => _portal.CallAsync("loginAnonymous", [null], NoKeywords, CancellationToken.None));
        Assert.Equal("twisted.cred.error.UnauthorizedLogin", refused.RemoteType);

        var open = new PbPortal(_ => null, login => new Echo(login.Username ?? "anonymous"), allowAnonymous: true);
        var avatar = Assert.IsAssignableFrom<IPbCallable>(await open.CallAsync("loginAnonymous", [null], NoKeywords, CancellationToken.None));
        Assert.Equal("anonymous", await avatar.CallAsync("whoami", [], NoKeywords, CancellationToken.None));
    }

    [Fact]
    public async Task Before_login_nothing_but_login_is_reachable()
    {
        var missing = await Assert.ThrowsAsync<PbRemoteCallException>(() => _portal.CallAsync("whoami", [], NoKeywords, CancellationToken.None));
        Assert.Equal("twisted.spread.flavors.NoSuchMethod", missing.RemoteType);
    }

    private async Task<(byte[] Challenge, IPbCallable Challenger)> LoginAsync(string user)
    {
        var reply = Assert.IsType<PbTuple>(await _portal.CallAsync("login", [System.Text.Encoding.UTF8.GetBytes(user)], NoKeywords, CancellationToken.None));
        return (Assert.IsType<byte[]>(reply[0]), Assert.IsAssignableFrom<IPbCallable>(reply[1]));
    }

    private static Task<object?> Respond(IPbCallable challenger, byte[] challenge, string password) =>
        challenger.CallAsync("respond", [PbCredentials.Respond(challenge, System.Text.Encoding.UTF8.GetBytes(password)), null], NoKeywords, CancellationToken.None);

    private sealed class Echo(string user) : IPbCallable
    {
        public Task<object?> CallAsync(string method, IReadOnlyList<object?> arguments, IReadOnlyDictionary<string, object?> keywordArguments, CancellationToken cancellationToken) =>
            Task.FromResult<object?>(user);
    }
}
