namespace Tether.Remoting;

/// <summary>
/// A reference to an object that lives on the peer: calls made through it run there. Obtained from
/// <see cref="TetherSession.Root"/>, or as an argument or result of a call. Dispose it when done so the peer can drop
/// its entry (a reference that becomes unreachable is released by the garbage collector, later).
/// </summary>
public sealed class RemoteReference : IDisposable, IAsyncDisposable
{
    private readonly bool _counted;
    private int _received;
    private int _released;

    internal RemoteReference(TetherSession session, uint id, bool counted)
    {
        Session = session;
        Id = id;
        _counted = counted;
        _received = counted ? 1 : 0;
    }

    /// <summary>Releases the reference if nobody disposed it.</summary>
    ~RemoteReference()
    {
        Release();
    }

    /// <summary>The connection this reference goes through.</summary>
    public TetherSession Session { get; }

    /// <summary>True while calls can go through: the connection is up and the reference was not released.</summary>
    public bool IsConnected => Volatile.Read(ref _released) == 0 && Session.IsConnected;

    /// <summary>The peer's export id (0 is the peer's root object).</summary>
    internal uint Id { get; }

    /// <summary>
    /// Calls <paramref name="method"/> on the remote object. A <see cref="CancellationToken"/> passed as the last
    /// argument is not sent: it cancels the call, here and on the peer (the remote method's token fires).
    /// </summary>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="method">The method's wire name.</param>
    /// <param name="arguments">The arguments, optionally followed by a <see cref="CancellationToken"/>.</param>
    /// <returns>
    /// The result. Faults with <see cref="RemoteCallException"/> when the peer's method throws or refuses the call,
    /// <see cref="ConnectionLostException"/> when the connection is lost before the answer, and
    /// <see cref="Protocol.TetherSerializationException"/> when an argument cannot be sent or the result read.
    /// </returns>
    public Task<T> CallAsync<T>(string method, params object?[] arguments)
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(arguments);
        var cancellationToken = CancellationToken.None;
        if (arguments is [.., CancellationToken token])
        {
            cancellationToken = token;
            arguments = arguments[..^1];
        }

        return InvokeAsync<T>(method, new CallArguments(arguments), cancellationToken);
    }

    /// <summary>Calls <paramref name="method"/> and ignores its result; see <see cref="CallAsync{T}(string, object?[])"/>.</summary>
    /// <param name="method">The method's wire name.</param>
    /// <param name="arguments">The arguments, optionally followed by a <see cref="CancellationToken"/>.</param>
    /// <returns>A task that completes when the remote method has.</returns>
    public Task CallAsync(string method, params object?[] arguments) => CallAsync<object?>(method, arguments);

    /// <summary>A typed proxy: calling a method of <typeparamref name="T"/> calls the remote object.</summary>
    /// <typeparam name="T">An interface whose methods return <see cref="Task"/>, <see cref="Task{TResult}"/>, <see cref="ValueTask"/> or <see cref="ValueTask{TResult}"/>.</typeparam>
    /// <returns>The proxy.</returns>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is not such an interface.</exception>
    public T As<T>()
        where T : class => (T)As(typeof(T));

    /// <summary>Runs <paramref name="callback"/> once when the connection is lost (at once if it already is).</summary>
    /// <param name="callback">Receives why the connection ended.</param>
    /// <returns>Dispose to cancel the notification.</returns>
    public IDisposable NotifyOnDisconnect(Action<Disconnection> callback)
    {
        ArgumentNullException.ThrowIfNull(callback);
        return Session.AddDisconnectNotifier(callback);
    }

    /// <summary>Releases the reference: the peer is told it may drop its export.</summary>
    public void Dispose()
    {
        Release();
        GC.SuppressFinalize(this);
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        Release();
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public override string ToString() => $"RemoteReference #{Id} via {Session}";

    internal object As(Type interfaceType) => ProxyFactory.Create(this, interfaceType);

    internal Task<T> InvokeAsync<T>(string method, CallArguments arguments, CancellationToken cancellationToken) =>
        Volatile.Read(ref _released) != 0 ? Task.FromException<T>(Released()) : Session.CallAsync<T>(Id, method, arguments, cancellationToken);

    /// <summary>As <see cref="InvokeAsync{T}"/>, for a caller that awaits the value task once (a typed proxy's ValueTask method).</summary>
    internal ValueTask<T> InvokeValueTaskAsync<T>(string method, CallArguments arguments, CancellationToken cancellationToken) =>
        Volatile.Read(ref _released) != 0 ? ValueTask.FromException<T>(Released()) : Session.CallValueTaskAsync<T>(Id, method, arguments, cancellationToken);

    /// <summary>As <see cref="InvokeValueTaskAsync{T}"/>, for a typed proxy's method returning <see cref="ValueTask"/>.</summary>
    internal ValueTask InvokeValueTaskWithoutResultAsync(string method, CallArguments arguments, CancellationToken cancellationToken) =>
        Volatile.Read(ref _released) != 0 ? ValueTask.FromException(Released()) : Session.CallValueTaskWithoutResultAsync(Id, method, arguments, cancellationToken);

    private ObjectDisposedException Released() => new(nameof(RemoteReference), $"The reference #{Id} was released; it cannot be called.");

    /// <summary>The peer sent this reference again; its release must account for one more.</summary>
    internal void CountReceipt() => Interlocked.Increment(ref _received);

    internal bool IsReleased => Volatile.Read(ref _released) != 0;

    private void Release()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0 && _counted)
        {
            Session.ReleaseImport(this, Volatile.Read(ref _received));
        }
    }
}
