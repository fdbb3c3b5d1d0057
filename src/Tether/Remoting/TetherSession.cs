using System.Net;
using Microsoft.Extensions.Logging;
using Tether.Framing;
using Tether.Remoting.Login;

namespace Tether.Remoting;

/// <summary>
/// The object layer of one connection (PB's broker): it exports this side's objects to the peer, holds references to
/// the peer's, runs the peer's calls, and carries replicas and their updates. What user code sees is the same whichever
/// protocol the connection speaks: Tether's native protocol (<see cref="Start"/>, <c>TetherServer</c>,
/// <c>TetherClient</c>) or Twisted's Perspective Broker (Tether.Pb).
/// </summary>
public abstract partial class TetherSession : IAsyncDisposable
{
    // Guards the root reference and the disconnect notifiers, the parts every protocol shares.
    private readonly Lock _lock = new();
    private readonly Dictionary<long, Action<Disconnection>> _notifiers = [];
    private long _lastNotifier;
    private Disconnection? _notified;
    private RemoteReference? _root;

    /// <summary>Only the protocols Tether ships derive from this class.</summary>
    /// <param name="logger">Where failing disconnect notifiers are reported.</param>
    internal TetherSession(ILogger logger)
    {
        Logger = logger;
    }

    /// <summary>The native connection underneath; null for a session over another protocol (Twisted PB).</summary>
    public virtual TetherConnection? Connection => null;

    /// <summary>The peer's address, when known.</summary>
    public abstract EndPoint? RemoteEndPoint { get; }

    /// <summary>A reference to the peer's root object (not reference counted).</summary>
    public RemoteReference Root
    {
        get
        {
            lock (_lock)
            {
                return _root ??= new RemoteReference(this, 0, counted: false);
            }
        }
    }

    /// <summary>True until the connection is lost.</summary>
    public abstract bool IsConnected { get; }

    /// <summary>Completes once the connection is lost and every call, observer and notifier has been settled.</summary>
    public abstract Task<Disconnection> Disconnected { get; }

    /// <summary>On a server with login: the name the peer logged in as (null before login).</summary>
    public string? UserName { get; internal set; }

    /// <summary>On a server with login: the peer's perspective (avatar) object (null before login).</summary>
    public object? Avatar { get; internal set; }

    /// <summary>
    /// Starts the object layer on an established native connection. From here on the default channel belongs to it.
    /// </summary>
    /// <param name="connection">The connection.</param>
    /// <param name="options">Remoting options; null for defaults.</param>
    /// <param name="root">The object the peer reaches as its <see cref="Root"/>; null for none.</param>
    /// <returns>The session.</returns>
    public static TetherSession Start(TetherConnection connection, RemotingOptions? options = null, object? root = null)
    {
        ArgumentNullException.ThrowIfNull(connection);
        options ??= new RemotingOptions();
        options.Validate();
        return NativeSession.Launch(connection, options, root);
    }

    /// <summary>A snapshot of this session's tables, for monitoring and leak checks.</summary>
    /// <returns>The counts.</returns>
    public abstract RemotingStatistics GetStatistics();

    /// <summary>Ends the connection at once (RST); everything is settled with <see cref="DisconnectReason.LocalClose"/>.</summary>
    /// <param name="reason">Why, for the log and the disconnect detail.</param>
    public abstract void Abort(string reason);

    /// <summary>
    /// Asks the peer for a sign of life now and waits up to <paramref name="timeout"/> for any byte from it.
    /// </summary>
    /// <param name="timeout">How long to wait.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>True if the peer answered in time; false if it did not or the connection is gone.</returns>
    public abstract Task<bool> ProbePeerAsync(TimeSpan timeout, CancellationToken cancellationToken = default);

    /// <summary>Closes the connection in an orderly way and waits until everything is settled.</summary>
    /// <param name="cancellationToken">Cancels waiting for the orderly close (the connection is then aborted).</param>
    /// <returns>A task for the close.</returns>
    public abstract Task CloseAsync(CancellationToken cancellationToken = default);

    /// <summary>Closes the connection (see <see cref="CloseAsync"/>).</summary>
    /// <returns>A task for the disposal.</returns>
    public abstract ValueTask DisposeAsync();

    /// <summary>Calls <paramref name="method"/> on the peer's object <paramref name="target"/> (0: its root).</summary>
    internal abstract Task<T> CallAsync<T>(uint target, string method, CallArguments arguments, CancellationToken cancellationToken);

    /// <summary>As <see cref="CallAsync{T}"/>, for a caller that awaits a value task (once): a session may back it with a reused object.</summary>
    internal virtual ValueTask<T> CallValueTaskAsync<T>(uint target, string method, CallArguments arguments, CancellationToken cancellationToken) =>
        new(CallAsync<T>(target, method, arguments, cancellationToken));

    /// <summary>As <see cref="CallValueTaskAsync{T}"/>, for a caller that wants no result.</summary>
    internal virtual ValueTask CallValueTaskWithoutResultAsync(uint target, string method, CallArguments arguments, CancellationToken cancellationToken) =>
        new(CallAsync<object?>(target, method, arguments, cancellationToken));

    /// <summary>The reference was released after <paramref name="count"/> receipts: tell the peer.</summary>
    internal abstract void ReleaseImport(RemoteReference reference, int count);

    /// <summary>The session's logger.</summary>
    private protected ILogger Logger { get; }

    /// <summary>Disconnect notifiers waiting for the connection to be lost.</summary>
    private protected int DisconnectNotifierCount
    {
        get
        {
            lock (_lock)
            {
                return _notifiers.Count;
            }
        }
    }

    /// <summary>Runs <paramref name="callback"/> once when the connection is lost; dispose to cancel.</summary>
    internal IDisposable AddDisconnectNotifier(Action<Disconnection> callback)
    {
        lock (_lock)
        {
            if (_notified is null)
            {
                var key = ++_lastNotifier;
                _notifiers.Add(key, callback);
                RemotingCounters.Notifiers.Add(1);
                return new NotifierRegistration(this, key);
            }
        }

        // Already lost: the callback still runs, once, but not inside the caller's frame.
        var lost = _notified;
        ThreadPool.QueueUserWorkItem(_ => Notify(callback, lost));
        return new NotifierRegistration(null, 0);
    }

    /// <summary>Runs every disconnect notifier once; notifiers added from now on run at once (on the thread pool).</summary>
    /// <param name="disconnection">How the connection ended.</param>
    private protected void NotifyDisconnected(Disconnection disconnection)
    {
        Action<Disconnection>[] notifiers;
        lock (_lock)
        {
            _notified = disconnection;
            notifiers = [.. _notifiers.Values];
            _notifiers.Clear();
            RemotingCounters.Notifiers.Add(-notifiers.Length);
        }

        foreach (var notifier in notifiers)
        {
            Notify(notifier, disconnection);
        }
    }

    private void Notify(Action<Disconnection> callback, Disconnection disconnection)
    {
        try
        {
            callback(disconnection);
        }
        catch (Exception e)
        {
            LogNotifierFailed(Logger, e);
        }
    }

    private void RemoveNotifier(long key)
    {
        lock (_lock)
        {
            if (_notifiers.Remove(key))
            {
                RemotingCounters.Notifiers.Add(-1);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "A disconnect notifier threw")]
    private static partial void LogNotifierFailed(ILogger logger, Exception error);

    /// <summary>Pushes an update to the replica <paramref name="observer"/> stands for.</summary>
    internal abstract Task SendCacheUpdateAsync(CacheObserver observer, string method, object?[] arguments);

    /// <summary>Logs in to a server with login (see <c>SessionLoginExtensions.LoginAsync</c>).</summary>
    internal abstract Task<RemoteReference> LoginAsync(Credentials credentials, IReferenceable? mind, CancellationToken cancellationToken);

    /// <summary>The replica was disposed: the owner stops observing.</summary>
    internal abstract void ReleaseReplica(RemoteCache replica);

    /// <summary>Cancels one disconnect notification.</summary>
    private sealed class NotifierRegistration(TetherSession? session, long key) : IDisposable
    {
        private TetherSession? _session = session;

        public void Dispose() => Interlocked.Exchange(ref _session, null)?.RemoveNotifier(key);
    }
}
