using Microsoft.Extensions.Logging;

namespace Tether.Remoting;

/// <summary>
/// The end of the connection, whatever the reason: every outstanding call fails once with the reason, every call
/// running here sees its token fire, every observer is stopped once, every notifier runs once, and the tables empty.
/// </summary>
internal sealed partial class NativeSession
{
    private void OnDisconnected(Disconnection disconnection)
    {
        IPendingCall[] calls;
        CancellationTokenSource?[] running;
        CacheObserver[] observers;
        lock (_gate)
        {
            _disconnection = disconnection;
            calls = [.. _pending.Values];
            _pending.Clear();
            RemotingCounters.OutstandingCalls.Add(-calls.Length);
            running = [.. _incoming.Values];
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
                LogCancelCallbackFailed(Logger, e);
            }
        }

        foreach (var observer in observers)
        {
            StopObserving(observer);
        }

        NotifyDisconnected(disconnection);

        RemotingCounters.Sessions.Add(-1);
        _ended.TrySetResult(disconnection);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cancelling a running call on disconnect threw")]
    private static partial void LogCancelCallbackFailed(ILogger logger, Exception error);
}
