namespace Tether.Remoting;

/// <summary>
/// A replica of a peer's <see cref="Cacheable"/>. Derive from <see cref="RemoteCache{TState}"/>, register the class with
/// <c>TypeRegistry.AddRemoteCache</c>, and write <c>ObserveXxx</c> methods: the owner's <c>observer.CallRemoteAsync("Xxx", ...)</c>
/// runs them, one after another in the order pushed. Dispose the replica to stop the owner observing.
/// </summary>
public abstract class RemoteCache : IDisposable, IAsyncDisposable
{
    private readonly Lock _updates = new();
    private int _released;
    private Task _tail = Task.CompletedTask;

    private protected RemoteCache()
    {
    }

    /// <summary>The connection the owner is on (null before the replica arrived).</summary>
    public TetherSession? Session { get; private set; }

    /// <summary>True until disposed or the connection is lost.</summary>
    public bool IsObserved => Volatile.Read(ref _released) == 0 && Session is { IsConnected: true };

    internal uint CacheId { get; private set; }

    internal abstract Type StateType { get; }

    /// <summary>Stops observing: the owner's <see cref="Cacheable.StoppedObserving"/> runs.</summary>
    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }

    /// <summary>Releases the replica.</summary>
    /// <param name="disposing">True when called from <see cref="Dispose()"/>.</param>
    protected virtual void Dispose(bool disposing)
    {
        if (Interlocked.Exchange(ref _released, 1) == 0)
        {
            Session?.ReleaseReplica(this);
        }
    }

    internal void Attach(TetherSession session, uint cacheId, object? state)
    {
        Session = session;
        CacheId = cacheId;
        SetState(state);
    }

    internal abstract void SetState(object? state);

    /// <summary>Runs an update after the ones before it (they may be asynchronous) have finished.</summary>
    internal void Enqueue(Func<Task> update, Action<Exception> onError)
    {
        lock (_updates)
        {
            _tail = _tail.IsCompleted ? RunAsync(update, onError) : ChainAsync(_tail, update, onError);
        }
    }

    private static async Task ChainAsync(Task before, Func<Task> update, Action<Exception> onError)
    {
        await before.ConfigureAwait(false);
        await RunAsync(update, onError).ConfigureAwait(false);
    }

    private static async Task RunAsync(Func<Task> update, Action<Exception> onError)
    {
        try
        {
            await update().ConfigureAwait(false);
        }
        catch (Exception e)
        {
            onError(e);
        }
    }
}

/// <summary>A replica whose initial state is a <typeparamref name="TState"/>.</summary>
/// <typeparam name="TState">The state type the owner's <see cref="Cacheable.GetStateToCacheAndObserve"/> returns (a copyable, a dictionary, ...).</typeparam>
public abstract class RemoteCache<TState> : RemoteCache
{
    internal override Type StateType => typeof(TState);

    /// <summary>Receives the owner's state when the replica arrives, before any update.</summary>
    /// <param name="state">The state.</param>
    protected abstract void Initialize(TState state);

    internal override void SetState(object? state) => Initialize((TState)state!);
}
