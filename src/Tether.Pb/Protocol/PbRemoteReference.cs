namespace Tether.Pb.Protocol;

/// <summary>
/// A reference to an object the peer exports (Twisted's <c>RemoteReference</c>). Calls go to its
/// <c>remote_</c> (or, for a perspective, <c>perspective_</c>) methods. Disposing it sends the
/// <c>decref</c> the peer's reference count expects, once; so does finalization of a reference that was
/// never disposed, as Python's garbage collection does. The root reference is not counted.
/// </summary>
public sealed class PbRemoteReference : IDisposable
{
    private readonly PbConnection _connection;
    private readonly bool _counted;
    private int _released;

    internal PbRemoteReference(PbConnection connection, PbObjectId id, bool counted)
    {
        _connection = connection;
        Id = id;
        _counted = counted;
    }

    /// <summary>The peer's id for the object.</summary>
    public PbObjectId Id { get; }

    internal PbConnection Connection => _connection;

    /// <summary>Calls <paramref name="method"/> with positional arguments.</summary>
    /// <returns>The unjellied result; the task fails with <see cref="PbRemoteCallException"/> for a remote error.</returns>
    public Task<object?> CallRemoteAsync(string method, params object?[] arguments) =>
        CallRemoteAsync(method, arguments, keywordArguments: null, CancellationToken.None);

    /// <summary>Calls <paramref name="method"/> with positional and keyword arguments.</summary>
    /// <returns>
    /// The unjellied result. The task fails with <see cref="PbRemoteCallException"/> for a remote error,
    /// <see cref="PbConnectionLostException"/> when the connection ends first, and is cancelled when
    /// <paramref name="cancellationToken"/> fires (PB cannot cancel the remote side; its answer is dropped).
    /// </returns>
    public Task<object?> CallRemoteAsync(
        string method,
        IReadOnlyList<object?> arguments,
        IReadOnlyDictionary<string, object?>? keywordArguments,
        CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(method);
        ArgumentNullException.ThrowIfNull(arguments);
        return Volatile.Read(ref _released) != 0
            ? Task.FromException<object?>(new ObjectDisposedException(nameof(PbRemoteReference)))
            : _connection.CallAsync(Id, method, arguments, keywordArguments, cancellationToken);
    }

    /// <summary>Finalizes a reference nobody disposed: the peer still gets its <c>decref</c>.</summary>
    ~PbRemoteReference() => Release();

    /// <summary>Releases the reference: the peer is told with one <c>decref</c>.</summary>
    public void Dispose()
    {
        Release();
        GC.SuppressFinalize(this);
    }

    /// <inheritdoc />
    public override string ToString() => $"<PbRemoteReference {Id}>";

    private void Release()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0 && _counted)
        {
            _connection.Release(Id);
        }
    }
}
