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
/// A call waiting for its answer, reused from call to call. The caller gets a <see cref="Task{TResult}"/> (a
/// <see cref="TaskCompletionSource{TResult}"/> per call) or, for a <see cref="ValueTask{TResult}"/> method, a value task
/// backed by this object (nothing per call).
/// </summary>
/// <remarks>
/// Both complete on the session's receive loop and run continuations asynchronously: a caller's continuation never runs
/// on the loop, and a call nobody awaits yet (a window of calls awaited later) costs no thread-pool item at all. The
/// object goes back to the free list when both the caller's setup and the outcome's consumer are done with it
/// (<see cref="_holds"/>), so a call answered before its setup finished is never recycled under it.
/// </remarks>
internal sealed class PendingCall<T> : IPendingCall, IValueTaskSource<T>, IValueTaskSource
{
    private static readonly FreeList<PendingCall<T>> Free = new(256);

    private ManualResetValueTaskSourceCore<T> _core = new() { RunContinuationsAsynchronously = true };
    private TaskCompletionSource<T>? _task;
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
        call._holds = 2; // the caller's setup, and the consumer of the outcome
        call._task = asTask ? new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously) : null;
        return call;
    }

    /// <summary>The caller's view of the outcome (read during setup).</summary>
    public ValueTask<T> Outcome => _task is { } task ? new ValueTask<T>(task.Task) : new ValueTask<T>(this, _core.Version);

    /// <summary>The outcome for a caller that wants no result (a <see cref="ValueTask"/> method; read during setup).</summary>
    public ValueTask OutcomeWithoutResult => _task is { } task ? new ValueTask(task.Task) : new ValueTask(this, _core.Version);

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
        if (_task is { } task)
        {
            task.TrySetResult((T)value!);
            Release(); // a task's consumer is the task itself
        }
        else
        {
            _core.SetResult((T)value!);
        }
    }

    public void Fail(Exception error)
    {
        if (_task is { } task)
        {
            task.TrySetException(error);
            Release();
        }
        else
        {
            _core.SetException(error);
        }
    }

    public void Cancel(CancellationToken token)
    {
        if (_task is { } task)
        {
            task.TrySetCanceled(token);
            Release();
        }
        else
        {
            _core.SetException(new TaskCanceledException("The call was cancelled.", null, token));
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
        _task = null;
        _core.Reset();
        Free.Return(this);
    }
}
