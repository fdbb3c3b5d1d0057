using System.Threading.Tasks.Sources;

namespace Tether.Internal;

/// <summary>
/// An allocation-free auto-reset signal for exactly one waiter (the connection's write loop). <see cref="Set"/> may be
/// called from any thread any number of times; a set that happens while nobody waits is remembered once.
/// </summary>
internal sealed class AsyncAutoResetSignal : IValueTaskSource
{
    private readonly object _gate = new();
    private ManualResetValueTaskSourceCore<bool> _core = new() { RunContinuationsAsynchronously = true };
    private bool _signaled;
    private bool _waiting;
    private CancellationTokenRegistration _registration;

    public void Set()
    {
        lock (_gate)
        {
            if (_waiting)
            {
                _waiting = false;
                _registration.Unregister(); // never Dispose under the lock: it waits for a running Cancel, which waits for the lock
                _core.SetResult(true);
            }
            else
            {
                _signaled = true;
            }
        }
    }

    public ValueTask WaitAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_signaled)
            {
                _signaled = false;
                return ValueTask.CompletedTask;
            }

            if (cancellationToken.IsCancellationRequested)
            {
                return ValueTask.FromCanceled(cancellationToken);
            }

            _core.Reset();
            _waiting = true;
            _registration = cancellationToken.UnsafeRegister(static s => ((AsyncAutoResetSignal)s!).Cancel(), this);
            return new ValueTask(this, _core.Version);
        }
    }

    void IValueTaskSource.GetResult(short token) => _core.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);

    private void Cancel()
    {
        lock (_gate)
        {
            if (_waiting)
            {
                _waiting = false;
                _core.SetException(new OperationCanceledException());
            }
        }
    }
}
