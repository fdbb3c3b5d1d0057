using System.Collections.Concurrent;
using System.Net;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Tether.Remoting;
using Tether.Remoting.Login;

namespace Tether.Hosting;

/// <summary>
/// Listens, accepts, and gives every connection its own session (PB's broker) whose root is the configured root
/// object or, with login, a login endpoint. Sessions end on their own when their peer goes away.
/// </summary>
public sealed partial class TetherServer : IAsyncDisposable
{
    private readonly TetherServerOptions _options;
    private readonly ISessionListener _listener;
    private readonly LoginGate? _login;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<TetherSession, byte> _sessions = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _acceptLoop;

    private TetherServer(TetherServerOptions options)
    {
        _options = options;
        _logger = options.Connection.LoggerFactory?.CreateLogger<TetherServer>() ?? NullLogger<TetherServer>.Instance;
        _login = options.Login is null ? null : new LoginGate(options.Login, _logger);
        _listener = options.Protocol.Listen(options.Endpoint, options.Connection, options.Remoting, () => _login?.CreateEndpoint() ?? _options.Root);
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    /// <summary>A session started (a peer connected and completed the handshake).</summary>
    public event EventHandler<TetherSessionEventArgs>? SessionStarted;

    /// <summary>A session ended, with the typed reason.</summary>
    public event EventHandler<TetherSessionEndedEventArgs>? SessionEnded;

    /// <summary>The address the server listens on (with the actual port).</summary>
    public IPEndPoint LocalEndPoint => _listener.LocalEndPoint;

    /// <summary>The sessions open now.</summary>
    public IReadOnlyCollection<TetherSession> Sessions => [.. _sessions.Keys];

    /// <summary>Binds and starts accepting.</summary>
    /// <param name="options">The settings.</param>
    /// <returns>The running server.</returns>
    public static TetherServer Start(TetherServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return new TetherServer(options);
    }

    /// <summary>Stops accepting and closes every session.</summary>
    /// <returns>A task for the shutdown.</returns>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _listener.DisposeAsync().ConfigureAwait(false);
        await _acceptLoop.ConfigureAwait(false);
        await Task.WhenAll(_sessions.Keys.Select(s => s.DisposeAsync().AsTask())).ConfigureAwait(false);
        _login?.Dispose();
        _stop.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (true)
        {
            TetherSession session;
            try
            {
                session = await _listener.AcceptAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ChannelClosedException)
            {
                return;
            }

            _sessions.TryAdd(session, 0);
            _ = session.Disconnected.ContinueWith(t => Ended(session, t.Result), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            SafeEvents.Raise(SessionStarted, this, new TetherSessionEventArgs(session), _logger);
        }
    }

    private void Ended(TetherSession session, Disconnection disconnection)
    {
        _sessions.TryRemove(session, out _);
        SafeEvents.Raise(SessionEnded, this, new TetherSessionEndedEventArgs(session, disconnection), _logger);
    }
}

/// <summary>A session started.</summary>
/// <param name="session">The session.</param>
public class TetherSessionEventArgs(TetherSession session) : EventArgs
{
    /// <summary>The session.</summary>
    public TetherSession Session { get; } = session;
}

/// <summary>A session ended.</summary>
/// <param name="session">The session.</param>
/// <param name="disconnection">How it ended.</param>
public sealed class TetherSessionEndedEventArgs(TetherSession session, Disconnection disconnection) : TetherSessionEventArgs(session)
{
    /// <summary>How it ended (typed reason, detail, silence).</summary>
    public Disconnection Disconnection { get; } = disconnection;
}
