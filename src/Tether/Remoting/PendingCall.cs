using System.Runtime.CompilerServices;
using System.Threading.Tasks.Sources;
using Tether.Internal;

namespace Tether.Remoting;

/// <summary>A call waiting for its answer; the result is read straight into the type the caller asked for.</summary>
internal interface IPendingCall
{
    Type ResultType { get; }

    /// <summary>The answer arrived. Called once per call, by whoever took it out of the pending table.</summary>
    void Complete(object? value);

    /// <summary>The call failed (an error answer, the connection lost, a send that failed).</summary>
    void Fail(Exception error);

    /// <summary>The caller's token cancelled the call.</summary>
    void Cancel(CancellationToken token);
}

/// <summary>
/// A call waiting for its answer, reused from call to call. The caller gets either a <see cref="Task{TResult}"/> (the only
/// allocation per call) or, for a <see cref="ValueTask{TResult}"/> method, a value task backed by this object (none).
/// </summary>
/// <remarks>
/// The outcome is handed to the thread pool as this very object (<see cref="IThreadPoolWorkItem"/>), so the caller's
/// continuation never runs on the session's receive loop and the hand-off allocates nothing. The object goes back to
/// the free list when both the caller's setup and the outcome's consumer are done with it (<see cref="_holds"/>), so a
/// call answered before its setup finished is never recycled under it.
/// </remarks>
internal sealed class PendingCall<T> : IPendingCall, IValueTaskSource<T>, IValueTaskSource, IThreadPoolWorkItem
{
    private static readonly FreeList<PendingCall<T>> Free = new(256);

    private ManualResetValueTaskSourceCore<T> _core;
    private AsyncTaskMethodBuilder<T> _task;
    private bool _asTask;
    private T? _result;
    private Exception? _error;
    private CancellationTokenRegistration _registration;
    private int _holds;

    private PendingCall()
    {
    }

    public Type ResultType => typeof(T);

    /// <summary>A call object for one call: <paramref name="asTask"/> for a caller that wants a <see cref="Task{TResult}"/>.</summary>
    public static PendingCall<T> Rent(bool asTask)
    {
        var call = Free.TryTake() ?? new PendingCall<T>();
        call._asTask = asTask;
        call._holds = 2; // the caller's setup, and the consumer of the outcome
        if (asTask)
        {
            call._task = AsyncTaskMethodBuilder<T>.Create();
            _ = call._task.Task; // made now, while the setup holds the object
        }

        return call;
    }

    /// <summary>The caller's view of the outcome (read during setup).</summary>
    public ValueTask<T> Outcome => _asTask ? new ValueTask<T>(_task.Task) : new ValueTask<T>(this, _core.Version);

    /// <summary>The registration that cancels this call; given up when the object is recycled.</summary>
    public void SetRegistration(CancellationTokenRegistration registration) => _registration = registration;

    /// <summary>The caller's setup is done (the call was sent, or refused before it was).</summary>
    public void EndSetup() => Release();

    /// <summary>Recycles a call that was never put in the pending table.</summary>
    public void Discard()
    {
        _holds = 0;
        Recycle();
    }

    public void Complete(object? value)
    {
        _result = (T)value!;
        ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
    }

    public void Fail(Exception error)
    {
        _error = error;
        ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
    }

    public void Cancel(CancellationToken token) => Fail(new TaskCanceledException("The call was cancelled.", null, token));

    void IThreadPoolWorkItem.Execute()
    {
        // Taken out first: the continuation below may run the consumer, which may recycle this object at once.
        var (result, error) = (_result, _error);
        (_result, _error) = (default, null);
        if (_asTask)
        {
            // The task was made by the builder without RunContinuationsAsynchronously: its continuations run here, on the pool.
            if (error is null)
            {
                _task.SetResult(result!);
            }
            else
            {
                _task.SetException(error);
            }

            Release();
        }
        else if (error is null)
        {
            _core.SetResult(result!);
        }
        else
        {
            _core.SetException(error);
        }
    }

    T IValueTaskSource<T>.GetResult(short token)
    {
        try
        {
            return _core.GetResult(token);
        }
        finally
        {
            Release();
        }
    }

    void IValueTaskSource.GetResult(short token) => ((IValueTaskSource<T>)this).GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<T>.GetStatus(short token) => _core.GetStatus(token);

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource<T>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);

    private void Release()
    {
        if (Interlocked.Decrement(ref _holds) == 0)
        {
            Recycle();
        }
    }

    private void Recycle()
    {
        // Unregister, not Dispose: a cancel callback still running finds the call settled and does nothing.
        _registration.Unregister();
        _registration = default;
        _task = default;
        _core.Reset();
        Free.Return(this);
    }
}
