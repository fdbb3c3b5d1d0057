using Microsoft.Extensions.Logging;

namespace Tether.Remoting;

/// <summary>
/// The end of the connection, whatever the reason: every outstanding call fails once with the reason, every call
/// running here sees its token fire, every observer is stopped once, every notifier runs once, and the tables empty.
/// </summary>
internal sealed partial class NativeSession
{
    private readonly Dictionary<long, Action<Disconnection>> _notifiers = [];
    private long _lastNotifier;

    internal override IDisposable AddDisconnectNotifier(Action<Disconnection> callback)
    {
        long key;
        lock (_gate)
        {
            if (_disconnection is null)
            {
                key = ++_lastNotifier;
                _notifiers.Add(key, callback);
                RemotingCounters.Notifiers.Add(1);
                return new NotifierRegistration(this, key);
            }
        }

        // Already lost: the callback still runs, once, but not inside the caller's frame.
        var lost = _disconnection;
        ThreadPool.QueueUserWorkItem(_ => Notify(callback, lost));
        return new NotifierRegistration(null, 0);
    }

    private void RemoveNotifier(long key)
    {
        lock (_gate)
        {
            if (_notifiers.Remove(key))
            {
                RemotingCounters.Notifiers.Add(-1);
            }
        }
    }

    private void OnDisconnected(Disconnection disconnection)
    {
        IPendingCall[] calls;
        CancellationTokenSource?[] running;
        CacheObserver[] observers;
        Action<Disconnection>[] notifiers;
        lock (_gate)
        {
            _disconnection = disconnection;
            calls = [.. _pending.Values];
            _pending.Clear();
            RemotingCounters.OutstandingCalls.Add(-calls.Length);
            running = [.. _incoming.Values];
            notifiers = [.. _notifiers.Values];
            _notifiers.Clear();
            RemotingCounters.Notifiers.Add(-notifiers.Length);
            observers = [.. _observersById.Values];
            RemotingCounters.Exports.Add(-_exportsById.Count);
            _exportsById.Clear();
            _exportsByObject.Clear();
            RemotingCounters.Imports.Add(-_imports.Count);
            _imports.Clear();
            RemotingCounters.Replicas.Add(-_replicas.Count);
            _replicas.Clear();
        }

        foreach (var call in calls)
        {
            call.Fail(new ConnectionLostException(disconnection));
        }

        foreach (var cancellation in running)
        {
            try
            {
                cancellation?.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // That call finished meanwhile.
            }
            catch (AggregateException e)
            {
                LogCancelCallbackFailed(_logger, e);
            }
        }

        foreach (var observer in observers)
        {
            StopObserving(observer);
        }

        foreach (var notifier in notifiers)
        {
            Notify(notifier, disconnection);
        }

        RemotingCounters.Sessions.Add(-1);
        _ended.TrySetResult(disconnection);
    }

    private void Notify(Action<Disconnection> callback, Disconnection? disconnection)
    {
        try
        {
            callback(disconnection!);
        }
        catch (Exception e)
        {
            LogNotifierFailed(_logger, e);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "A disconnect notifier threw")]
    private static partial void LogNotifierFailed(ILogger logger, Exception error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cancelling a running call on disconnect threw")]
    private static partial void LogCancelCallbackFailed(ILogger logger, Exception error);

    /// <summary>Cancels one disconnect notification.</summary>
    private sealed class NotifierRegistration(NativeSession? session, long key) : IDisposable
    {
        private NativeSession? _session = session;

        public void Dispose() => Interlocked.Exchange(ref _session, null)?.RemoveNotifier(key);
    }
}
