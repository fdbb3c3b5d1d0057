using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Tether.Remoting;
using Tether.Remoting.Login;

namespace Tether.Hosting;

/// <summary>
/// Keeps one session to a server: connects, logs in when credentials are set, and after a loss reconnects with
/// exponential backoff and jitter. <see cref="Connected"/> and <see cref="Disconnected"/> report every change with
/// the typed reason. A refused login stops it (retrying wrong credentials helps nobody).
/// </summary>
public sealed partial class TetherClient : IAsyncDisposable
{
    private readonly TetherClientOptions _options;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _gate = new();
    private TaskCompletionSource<TetherSession> _next = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task? _loop;
    private TetherSession? _session;
    private RemoteReference? _perspective;

    /// <summary>Creates the client; nothing happens until <see cref="ConnectAsync"/>.</summary>
    /// <param name="options">The settings.</param>
    public TetherClient(TetherClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _logger = options.Connection.LoggerFactory?.CreateLogger<TetherClient>() ?? NullLogger<TetherClient>.Instance;
    }

    /// <summary>A session started (after login, when credentials are set).</summary>
    public event EventHandler<TetherClientConnectedEventArgs>? Connected;

    /// <summary>The session ended, or an attempt failed; says when the next attempt is.</summary>
    public event EventHandler<TetherClientDisconnectedEventArgs>? Disconnected;

    /// <summary>The current session, or null between connections.</summary>
    public TetherSession? Session
    {
        get
        {
            lock (_gate)
            {
                return _session;
            }
        }
    }

    /// <summary>The current perspective (after login), or null.</summary>
    public RemoteReference? Perspective
    {
        get
        {
            lock (_gate)
            {
                return _perspective;
            }
        }
    }

    /// <summary>Starts the connection loop (once) and waits for a session.</summary>
    /// <param name="cancellationToken">Cancels the wait (the loop keeps running).</param>
    /// <returns>The session.</returns>
    /// <exception cref="LoginRefusedException">The server refused the credentials.</exception>
    /// <exception cref="System.Net.Sockets.SocketException">The server could not be reached and reconnecting is disabled.</exception>
    public Task<TetherSession> ConnectAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            _loop ??= Task.Run(RunAsync, CancellationToken.None);
        }

        return WaitForSessionAsync(cancellationToken);
    }

    /// <summary>Waits until a session is up (at once if one is).</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The session.</returns>
    public Task<TetherSession> WaitForSessionAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            return _session is { IsConnected: true } session ? Task.FromResult(session) : _next.Task.WaitAsync(cancellationToken);
        }
    }

    /// <summary>Stops reconnecting and closes the session.</summary>
    /// <returns>A task for the shutdown.</returns>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        var session = Session;
        if (session is not null)
        {
            await session.DisposeAsync().ConfigureAwait(false);
        }

        if (_loop is not null)
        {
            await _loop.ConfigureAwait(false);
        }

        _stop.Dispose();
    }

    private async Task RunAsync()
    {
        var failures = 0;
        while (!_stop.IsCancellationRequested)
        {
            TetherSession session;
            RemoteReference? perspective;
            try
            {
                (session, perspective) = await ConnectOnceAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                var fatal = e is LoginRefusedException || !_options.Reconnect.Enabled;
                var delay = fatal ? (TimeSpan?)null : _options.Reconnect.DelayBefore(failures++, Random.Shared);
                LogAttemptFailed(_logger, _options.Endpoint, e.Message, delay?.TotalSeconds);
                SafeEvents.Raise(Disconnected, this, new TetherClientDisconnectedEventArgs(null, e, delay), _logger);
                if (fatal)
                {
                    Fail(e);
                    return;
                }

                await DelayAsync(delay!.Value).ConfigureAwait(false);
                continue;
            }

            failures = 0;
            lock (_gate)
            {
                _session = session;
                _perspective = perspective;
                _next.TrySetResult(session);
                _next = new TaskCompletionSource<TetherSession>(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            SafeEvents.Raise(Connected, this, new TetherClientConnectedEventArgs(session, perspective), _logger);
            var disconnection = await session.Disconnected.ConfigureAwait(false);
            lock (_gate)
            {
                _session = null;
                _perspective = null;
            }

            var stopping = _stop.IsCancellationRequested || !_options.Reconnect.Enabled;
            var next = stopping ? (TimeSpan?)null : _options.Reconnect.DelayBefore(failures++, Random.Shared);
            LogLost(_logger, _options.Endpoint, disconnection, next?.TotalSeconds);
            SafeEvents.Raise(Disconnected, this, new TetherClientDisconnectedEventArgs(disconnection, null, next), _logger);
            if (stopping)
            {
                break;
            }

            await DelayAsync(next!.Value).ConfigureAwait(false);
        }

        Fail(new OperationCanceledException("The client was stopped."));
    }

    private async Task<(TetherSession Session, RemoteReference? Perspective)> ConnectOnceAsync(CancellationToken cancellationToken)
    {
        var session = await _options.Protocol.ConnectAsync(_options.Endpoint!, _options.Connection, _options.Remoting, cancellationToken).ConfigureAwait(false);
        if (_options.Credentials is null)
        {
            return (session, null);
        }

        try
        {
            return (session, await session.LoginAsync(_options.Credentials, _options.Mind, cancellationToken).ConfigureAwait(false));
        }
        catch
        {
            await session.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task DelayAsync(TimeSpan delay)
    {
        try
        {
            await Task.Delay(delay, _options.TimeProvider, _stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopping; the loop condition ends it.
        }
    }

    private void Fail(Exception error)
    {
        lock (_gate)
        {
            _next.TrySetException(error);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Connecting to {Endpoint} failed: {Error}; next attempt in {Delay} s")]
    private static partial void LogAttemptFailed(ILogger logger, System.Net.EndPoint? endpoint, string error, double? delay);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lost the session to {Endpoint}: {Disconnection}; next attempt in {Delay} s")]
    private static partial void LogLost(ILogger logger, System.Net.EndPoint? endpoint, Disconnection disconnection, double? delay);
}

/// <summary>A client session started.</summary>
/// <param name="session">The session.</param>
/// <param name="perspective">The perspective after login, or null without credentials.</param>
public sealed class TetherClientConnectedEventArgs(TetherSession session, RemoteReference? perspective) : EventArgs
{
    /// <summary>The session.</summary>
    public TetherSession Session { get; } = session;

    /// <summary>The perspective after login, or null without credentials.</summary>
    public RemoteReference? Perspective { get; } = perspective;
}

/// <summary>A client session ended, or an attempt to start one failed.</summary>
/// <param name="disconnection">How the session ended; null when an attempt failed.</param>
/// <param name="error">Why the attempt failed; null when a session ended.</param>
/// <param name="nextAttemptIn">When the client tries again; null when it stopped.</param>
public sealed class TetherClientDisconnectedEventArgs(Disconnection? disconnection, Exception? error, TimeSpan? nextAttemptIn) : EventArgs
{
    /// <summary>How the session ended (typed reason); null when an attempt failed.</summary>
    public Disconnection? Disconnection { get; } = disconnection;

    /// <summary>Why the attempt failed; null when a session ended.</summary>
    public Exception? Error { get; } = error;

    /// <summary>Delay before the next attempt; null when the client stopped.</summary>
    public TimeSpan? NextAttemptIn { get; } = nextAttemptIn;
}
