using System.Security.Cryptography;
using Microsoft.Extensions.Logging;

namespace Tether.Remoting.Login;

/// <summary>
/// A server's login state: who is logged in on which session, the duplicate-login policy, and the logout hook. Each
/// session's root is a <see cref="LoginEndpoint"/> that reports here.
/// </summary>
internal sealed partial class LoginGate : IDisposable
{
    private readonly LoginOptions _options;
    private readonly IRealm _realm;
    private readonly ILogger _logger;
    private readonly Dictionary<string, TetherSession> _users = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _claims = new(1, 1);

    public LoginGate(LoginOptions options, ILogger logger)
    {
        options.Validate();
        _options = options;
        _realm = options.Realm!;
        _logger = logger;
    }

    public LoginOptions Options => _options;

    public object CreateEndpoint() => new LoginEndpoint(this);

    public async Task<IReferenceable> CompleteLoginAsync(string userName, RemoteReference? mind, TetherSession session, CancellationToken cancellationToken)
    {
        await ClaimAsync(userName, session, cancellationToken).ConfigureAwait(false);
        IReferenceable avatar;
        try
        {
            avatar = await _realm.GetAvatarAsync(userName, mind, session, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            Unclaim(userName, session);
            throw;
        }

        session.UserName = userName;
        session.Avatar = avatar;
        _ = session.Disconnected.ContinueWith(t => LogoutAsync(userName, avatar, session, t.Result), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default).Unwrap();
        LogLoggedIn(_logger, userName, session.RemoteEndPoint);
        return avatar;
    }

    public void Dispose() => _claims.Dispose();

    private async Task ClaimAsync(string userName, TetherSession session, CancellationToken cancellationToken)
    {
        await _claims.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            TetherSession? old;
            lock (_users)
            {
                if (!_users.TryGetValue(userName, out old) || !old.IsConnected)
                {
                    _users[userName] = session;
                    return;
                }
            }

            switch (_options.DuplicateLogin)
            {
                case DuplicateLoginPolicy.RefuseNew:
                    throw new LoginRefusedException($"'{userName}' is already logged in from {old.RemoteEndPoint}.");
                case DuplicateLoginPolicy.ProbeOld:
                    if (await old.ProbePeerAsync(_options.DuplicateProbeTimeout, cancellationToken).ConfigureAwait(false))
                    {
                        LogDuplicateRefused(_logger, userName, old.RemoteEndPoint, _options.DuplicateProbeTimeout.TotalSeconds);
                        throw new LoginRefusedException($"'{userName}' is already logged in from {old.RemoteEndPoint}, which answered a liveness probe.");
                    }

                    LogReplacedSilent(_logger, userName, old.RemoteEndPoint, _options.DuplicateProbeTimeout.TotalSeconds);
                    old.Abort($"'{userName}' logged in again and this connection did not answer a liveness probe within {_options.DuplicateProbeTimeout.TotalSeconds:0.###} s");
                    break;
                default:
                    old.Abort($"replaced by a new login of '{userName}'");
                    break;
            }

            lock (_users)
            {
                _users[userName] = session;
            }
        }
        finally
        {
            _claims.Release();
        }
    }

    private void Unclaim(string userName, TetherSession session)
    {
        lock (_users)
        {
            if (_users.TryGetValue(userName, out var current) && ReferenceEquals(current, session))
            {
                _users.Remove(userName);
            }
        }
    }

    private async Task LogoutAsync(string userName, IReferenceable avatar, TetherSession session, Disconnection disconnection)
    {
        Unclaim(userName, session);
        LogLoggedOut(_logger, userName, disconnection);
        try
        {
            await _realm.LogoutAsync(userName, avatar, disconnection).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            LogLogoutHookFailed(_logger, userName, e);
        }
    }

    /// <summary>Compares in constant time, and spends the same effort for unknown users as for known ones.</summary>
    public static bool Verify(byte[]? verifier, byte[] challenge, byte[] response)
    {
        var expected = PasswordVerifier.Respond(verifier ?? RandomNumberGenerator.GetBytes(32), challenge);
        return CryptographicOperations.FixedTimeEquals(expected, response) && verifier is not null;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "'{User}' logged in from {Remote}")]
    private static partial void LogLoggedIn(ILogger logger, string user, System.Net.EndPoint? remote);

    [LoggerMessage(Level = LogLevel.Information, Message = "'{User}' logged out: {Disconnection}")]
    private static partial void LogLoggedOut(ILogger logger, string user, Disconnection disconnection);

    [LoggerMessage(Level = LogLevel.Warning, Message = "'{User}' logged in again; the old connection from {Remote} answered a probe within {Timeout} s, so the new login is refused")]
    private static partial void LogDuplicateRefused(ILogger logger, string user, System.Net.EndPoint? remote, double timeout);

    [LoggerMessage(Level = LogLevel.Warning, Message = "'{User}' logged in again; the old connection from {Remote} was silent for {Timeout} s after a probe and is aborted")]
    private static partial void LogReplacedSilent(ILogger logger, string user, System.Net.EndPoint? remote, double timeout);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The logout hook for '{User}' threw")]
    private static partial void LogLogoutHookFailed(ILogger logger, string user, Exception error);
}
