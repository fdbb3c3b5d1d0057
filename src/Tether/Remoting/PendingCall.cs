namespace Tether.Remoting;

/// <summary>A call waiting for its answer; the result is read straight into the type the caller asked for.</summary>
internal interface IPendingCall
{
    Type ResultType { get; }

    void Complete(object? value);

    void Fail(Exception error);

    void Cancel(CancellationToken token);
}

/// <summary>The call and its task in one object (the caller's <see cref="Task{TResult}"/> is the only other allocation).</summary>
internal sealed class PendingCall<T>() : TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously), IPendingCall
{
    public CancellationTokenRegistration Registration { get; set; }

    public Type ResultType => typeof(T);

    public void Complete(object? value)
    {
        Registration.Dispose();
        TrySetResult((T)value!);
    }

    public void Fail(Exception error)
    {
        Registration.Dispose();
        TrySetException(error);
    }

    public void Cancel(CancellationToken token)
    {
        Registration.Dispose();
        TrySetCanceled(token);
    }
}
