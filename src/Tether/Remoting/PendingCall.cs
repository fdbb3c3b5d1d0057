namespace Tether.Remoting;

/// <summary>A call waiting for its answer; the result is read straight into the type the caller asked for.</summary>
internal abstract class PendingCall
{
    public CancellationTokenRegistration Registration { get; set; }

    public abstract Type ResultType { get; }

    public abstract void TrySetResult(object? value);

    public abstract void TrySetException(Exception error);

    public abstract void TrySetCanceled(CancellationToken token);
}

/// <inheritdoc />
internal sealed class PendingCall<T> : PendingCall
{
    private readonly TaskCompletionSource<T> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<T> Task => _completion.Task;

    public override Type ResultType => typeof(T);

    public override void TrySetResult(object? value)
    {
        Registration.Dispose();
        _completion.TrySetResult((T)value!);
    }

    public override void TrySetException(Exception error)
    {
        Registration.Dispose();
        _completion.TrySetException(error);
    }

    public override void TrySetCanceled(CancellationToken token)
    {
        Registration.Dispose();
        _completion.TrySetCanceled(token);
    }
}
