using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Tether.Pb.Banana;
using Tether.Pb.Jelly;

namespace Tether.Pb.Protocol;

/// <summary>
/// One Perspective Broker connection with a Twisted peer, either end: dialect and version negotiation,
/// calls both ways with answers and errors, objects exported as <see cref="IPbCallable"/> with PB's
/// reference counting, remote references with <c>decref</c>, cacheables replicated both ways
/// (<see cref="IPbCacheable"/> out, <see cref="PbConnectionOptions.ReplicaFactory"/> in), and twisted.cred
/// login on the client side.
/// </summary>
public sealed partial class PbConnection : IAsyncDisposable
{
    private const int ReceiveBufferSize = 16 * 1024;
    private static readonly byte[] PbDialect = "pb"u8.ToArray();

    private readonly Stream _stream;
    private readonly BananaDecoder _decoder;
    private readonly BananaEncoder _encoder;
    private readonly JellySerializer _jelly;
    private readonly Hooks _hooks;
    private readonly PbExportTable _exports;
    private readonly PbCachedObjects _cached;
    private readonly PbReplicas _replicas = new();
    private readonly Func<PbNewCache, object>? _replicaFactory;
    private readonly Func<object, object?>? _mapOutbound;
    private readonly TimeSpan _handshakeTimeout;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly ConcurrentDictionary<long, TaskCompletionSource<object?>> _pending = new();
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<Exception> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stop = new();
    private Exception? _closeReason;
    private HandshakeState _handshake;
    private long _lastRequestId;
    private Task _receiveLoop = Task.CompletedTask;

    private PbConnection(Stream stream, PbConnectionOptions options, bool isClient)
    {
        options.Banana.Validate();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxExports, 1, nameof(options));
        _stream = stream;
        _handshakeTimeout = options.HandshakeTimeout;
        _decoder = new BananaDecoder(options.Banana);
        _encoder = new BananaEncoder(options.Banana);
        _jelly = new JellySerializer(options.Registry, options.Banana.MaxDepth);
        _hooks = new Hooks(this);
        _exports = new PbExportTable(options.MaxExports);
        _cached = new PbCachedObjects(options.MaxExports);
        _replicaFactory = options.ReplicaFactory;
        _mapOutbound = options.MapOutbound;
        if (!isClient && options.Root is { } root)
        {
            _exports.SetNamed(PbObjectId.Root.Name!, root);
        }

        _handshake = isClient ? HandshakeState.AwaitingOffer : HandshakeState.AwaitingChoice;
        Root = new PbRemoteReference(this, PbObjectId.Root, counted: false);
        if (options.Liveness is { } liveness)
        {
            liveness.Validate();
            _livenessOptions = liveness;
            _livenessClock = HeartbeatOf(liveness).TimeProvider;

            // Last: the heartbeat may call back at once (a ping waits for the handshake).
            _liveness = HeartbeatOf(liveness).Register(new LivenessPeer(this), liveness.KeepaliveInterval, liveness.DeadTimeout, deferKeepalive: !isClient);
        }
    }

    private enum HandshakeState
    {
        AwaitingOffer,
        AwaitingChoice,
        AwaitingVersion,
        Ready,
    }

    /// <summary>
    /// The peer's root object (<c>PBClientFactory.getRootObject</c>); not reference counted. Only a server
    /// has one: on the accepting side, calls through it fail with PB's "Invalid Object ID".
    /// </summary>
    public PbRemoteReference Root { get; }

    /// <summary>
    /// Completes when the connection has ended, with the reason, after every outstanding call failed, every
    /// observer stopped and every export was released.
    /// </summary>
    public Task<Exception> Closed => _closed.Task;

    /// <summary>Objects currently exported to the peer (references it holds), the root excluded.</summary>
    public int ExportCount => _exports.Count;

    /// <summary>Replicas of the peer's cacheables this side holds (until the owner confirms a release with <c>uncache</c>).</summary>
    public int ReplicaCount => _replicas.Count;

    /// <summary>Connects over TCP to a Twisted PB server and negotiates.</summary>
    /// <exception cref="PbProtocolException">The server does not speak PB version 6 in the "pb" dialect.</exception>
    public static async Task<PbConnection> ConnectAsync(EndPoint endPoint, PbConnectionOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(endPoint, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return await ConnectAsync(new NetworkStream(socket, ownsSocket: true), options, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Negotiates as the client over an open stream (a socket, a pipe) whose other end is a PB server
    /// (<c>PBServerFactory</c>). Owns the stream from then on.
    /// </summary>
    /// <exception cref="PbProtocolException">The server does not speak PB version 6 in the "pb" dialect.</exception>
    public static Task<PbConnection> ConnectAsync(Stream stream, PbConnectionOptions? options = null, CancellationToken cancellationToken = default) =>
        StartAsync(stream, options, isClient: true, cancellationToken);

    /// <summary>
    /// Negotiates as the server over an accepted stream whose other end is a PB client
    /// (<c>PBClientFactory</c>); the client reaches <see cref="PbConnectionOptions.Root"/>. Owns the stream from then on.
    /// </summary>
    /// <exception cref="PbProtocolException">The client does not choose the "pb" dialect or speak PB version 6.</exception>
    public static Task<PbConnection> AcceptAsync(Stream stream, PbConnectionOptions? options = null, CancellationToken cancellationToken = default) =>
        StartAsync(stream, options, isClient: false, cancellationToken);

    /// <summary>
    /// Logs in through the server's twisted.cred portal with username and password (challenge-response;
    /// the password does not cross the wire) and returns the user's perspective.
    /// </summary>
    /// <param name="username">The user name (sent as UTF-8 bytes, as <c>PBClientFactory.login</c> does).</param>
    /// <param name="password">The password.</param>
    /// <param name="mind">The client object the server's realm receives (an <see cref="IPbCallable"/> to be called back), or null.</param>
    /// <param name="cancellationToken">Cancels waiting for the server.</param>
    /// <exception cref="PbRemoteCallException">The server refused, e.g. <c>twisted.cred.error.UnauthorizedLogin</c>.</exception>
    public async Task<PbRemoteReference> LoginAsync(string username, string password, object? mind = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(username);
        ArgumentNullException.ThrowIfNull(password);
        var reply = await Root.CallRemoteAsync("login", [Encoding.UTF8.GetBytes(username)], null, cancellationToken).ConfigureAwait(false);
        if (reply is not PbTuple { Count: 2 } pair || pair[0] is not byte[] challenge || pair[1] is not PbRemoteReference challenger)
        {
            throw new PbProtocolException($"login answered {PbRepr.Format(reply)}, expected (challenge, challenger)");
        }

        using (challenger)
        {
            var response = PbCredentials.Respond(challenge, Encoding.UTF8.GetBytes(password));
            var perspective = await challenger.CallRemoteAsync("respond", [response, mind], null, cancellationToken).ConfigureAwait(false);
            return perspective as PbRemoteReference
                ?? throw new PbProtocolException($"login returned {PbRepr.Format(perspective)}, expected a perspective reference");
        }
    }

    /// <summary>Logs in anonymously (<c>PBClientFactory.login(Anonymous())</c>) and returns the perspective.</summary>
    /// <exception cref="PbRemoteCallException">The server does not allow anonymous logins.</exception>
    public async Task<PbRemoteReference> LoginAnonymousAsync(object? mind = null, CancellationToken cancellationToken = default)
    {
        var perspective = await Root.CallRemoteAsync("loginAnonymous", [mind], null, cancellationToken).ConfigureAwait(false);
        return perspective as PbRemoteReference
            ?? throw new PbProtocolException($"loginAnonymous returned {PbRepr.Format(perspective)}, expected a perspective reference");
    }

    /// <summary>
    /// Releases a replica this connection's <see cref="PbConnectionOptions.ReplicaFactory"/> built: the owner is
    /// sent one <c>decache</c> per time it sent the replica, stops observing, and answers <c>uncache</c>.
    /// Releasing an unknown or already released replica does nothing.
    /// </summary>
    public void ReleaseReplica(object replica)
    {
        ArgumentNullException.ThrowIfNull(replica);
        var (id, tokens) = _replicas.ReleaseTokens(replica);
        for (var i = 0L; i < tokens && !IsClosing; i++)
        {
            _ = SendAsync(new PbDecache(id));
        }
    }

    /// <summary>
    /// Ends the connection at once with a reset (RST), not an orderly close; outstanding calls fail with
    /// <see cref="PbConnectionLostException"/> carrying <paramref name="reason"/>.
    /// </summary>
    /// <param name="reason">Why, for the close reason.</param>
    /// <returns>A task that completes once everything is settled.</returns>
    public async Task AbortAsync(string reason)
    {
        PrepareAbort();
        await CloseAsync(new PbConnectionLostException($"aborted locally: {reason}")).ConfigureAwait(false);
        await _receiveLoop.ConfigureAwait(false);
    }

    /// <summary>Closes the connection; outstanding calls fail with <see cref="PbConnectionLostException"/>.</summary>
    public async ValueTask DisposeAsync()
    {
        await CloseAsync(new PbConnectionLostException("the connection was closed locally")).ConfigureAwait(false);
        await _receiveLoop.ConfigureAwait(false);
        _writeLock.Dispose();
        _stop.Dispose();
    }

    internal Task<object?> CallAsync(
        PbObjectId target,
        string method,
        IReadOnlyList<object?> arguments,
        IReadOnlyDictionary<string, object?>? keywordArguments,
        CancellationToken cancellationToken,
        bool toCache = false)
    {
        if (IsClosing)
        {
            return Task.FromException<object?>(Lost("the connection is closed"));
        }

        PbCall call;
        var requestId = Interlocked.Increment(ref _lastRequestId);
        try
        {
            call = new PbCall(
                requestId,
                target,
                method,
                AnswerRequired: true,
                _jelly.Jelly(new PbTuple(arguments), _hooks),
                _jelly.Jelly(keywordArguments ?? new Dictionary<string, object?>(), _hooks),
                toCache);
        }
        catch (Exception ex)
        {
            // Unsendable arguments, or an exported object's hook failing: the call fails, never synchronously.
            return Task.FromException<object?>(ex);
        }

        var answer = new TaskCompletionSource<object?>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[requestId] = answer;
        if (IsClosing && _pending.TryRemove(requestId, out _))
        {
            // Closing began after the check above; CloseAsync may have swept the table before this entry arrived.
            answer.TrySetException(Lost("the connection is closed"));
            return answer.Task;
        }

        if (cancellationToken.CanBeCanceled)
        {
            // The entry stays until the answer arrives, so a late answer is recognized and dropped.
            var registration = cancellationToken.Register(() => answer.TrySetCanceled(cancellationToken));
            answer.Task.ContinueWith(_ => registration.Dispose(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }

        _ = SendAsync(call);
        return answer.Task;
    }

    private bool IsClosing => Volatile.Read(ref _closeReason) is not null;

    internal void Release(PbObjectId id)
    {
        if (!IsClosing)
        {
            _ = SendAsync(new PbDecRef(id));
        }
    }

    private static async Task<PbConnection> StartAsync(Stream stream, PbConnectionOptions? options, bool isClient, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var connection = new PbConnection(stream, options ?? new PbConnectionOptions(), isClient);
        if (!isClient)
        {
            // The server speaks first, offering its dialects in plain banana; this side speaks only "pb".
            _ = connection.SendBytesAsync(connection._encoder.Encode(new List<object> { PbDialect }));
        }

        connection._receiveLoop = Task.Run(connection.ReceiveLoopAsync, CancellationToken.None);
        try
        {
            await connection._ready.Task.WaitAsync(connection._handshakeTimeout, cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch (Exception ex)
        {
            await connection.CloseAsync(ex).ConfigureAwait(false);
            throw;
        }
    }

    private async Task ReceiveLoopAsync()
    {
        var buffer = new byte[ReceiveBufferSize];
        try
        {
            while (true)
            {
                var read = await _stream.ReadAsync(buffer, _stop.Token).ConfigureAwait(false);
                if (read == 0)
                {
                    throw new PbConnectionLostException("the peer closed the connection");
                }

                // Any inbound byte is proof of life, half a message included.
                _liveness?.OnBytesReceived();

                Receive(buffer.AsSpan(0, read));
            }
        }
        catch (Exception ex)
        {
            await CloseAsync(ex).ConfigureAwait(false);
        }
    }

    private void Receive(ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            if (_decoder.TryReadExpression(data, out var consumed, out var expression))
            {
                Handle(expression);
            }

            data = data[consumed..];
        }
    }

    private void Handle(object expression)
    {
        switch (_handshake)
        {
            case HandshakeState.AwaitingOffer:
                if (expression is not IReadOnlyList<object> offer || !offer.Any(IsPbDialect))
                {
                    throw new PbProtocolException($"the server does not offer the pb dialect: {PbRepr.Format(expression)}");
                }

                // The choice itself still travels in the plain dialect; everything after it in "pb".
                var choice = _encoder.Encode(PbDialect);
                UsePbDialect();
                _ = SendBytesAsync([.. choice, .. _encoder.Encode(PbMessageCodec.Encode(new PbVersion(PbVersion.Current)))]);
                return;
            case HandshakeState.AwaitingChoice:
                if (!IsPbDialect(expression))
                {
                    throw new PbProtocolException($"the client chose {PbRepr.Format(expression)}; only \"pb\" was offered");
                }

                UsePbDialect();
                _ = SendAsync(new PbVersion(PbVersion.Current));
                return;
            case HandshakeState.AwaitingVersion:
                if (PbMessageCodec.Decode(expression) is not PbVersion { Version: PbVersion.Current })
                {
                    throw new PbProtocolException($"expected [\"version\", {PbVersion.Current}], got {PbRepr.Format(expression)}");
                }

                _handshake = HandshakeState.Ready;
                _ready.TrySetResult();
                return;
        }

        switch (PbMessageCodec.Decode(expression))
        {
            case PbAnswer answer:
                Complete(answer.RequestId, answer.Result, isError: false);
                break;
            case PbError error:
                Complete(error.RequestId, error.Failure, isError: true);
                break;
            case PbCall call:
                Dispatch(call);
                break;
            case PbDecRef decref:
                if (!_exports.RemoveReference(decref.Id, out var released))
                {
                    // Twisted drops the connection too (KeyError in proto_decref): the peers' counts disagree.
                    throw new PbProtocolException($"decref of {decref.Id}, which this side does not export");
                }

                NotifyReleased(released);
                break;
            case PbDecache decache:
                Decache(decache.Id);
                break;
            case PbUncache uncache when !_replicas.Remove(uncache.Id):
                throw new PbProtocolException($"uncache of {uncache.Id}, which this side holds no replica of");
            case PbUncache or PbDidNotUnderstand or PbVersion { Version: PbVersion.Current }:
                break;
            case PbUnknownCommand unknown:
                _ = SendAsync(new PbDidNotUnderstand(unknown.Command));
                break;
            case var other:
                // A version change.
                throw new PbProtocolException($"unexpected {PbRepr.Format(expression)} ({other.GetType().Name})");
        }
    }

    private static bool IsPbDialect(object value) => value is byte[] name && name.AsSpan().SequenceEqual(PbDialect);

    private void UsePbDialect()
    {
        _encoder.Dialect = BananaDialect.Pb;
        _decoder.Dialect = BananaDialect.Pb;
        _handshake = HandshakeState.AwaitingVersion;
    }

    /// <summary>Runs the peer's call on the exported object it names; arguments are unjellied here, in arrival order.</summary>
    private void Dispatch(PbCall call)
    {
        var found = call.ToCache ? _replicas.Find(call.Target.Number) : _exports.Find(call.Target);
        if (found is not IPbCallable target)
        {
            // Twisted answers an unknown id with pb.Error("Invalid Object ID").
            _ = AnswerAsync(call, Task.FromException<object?>(new PbRemoteCallException(new PbFailure("twisted.spread.pb.Error", "Invalid Object ID"))));
            return;
        }

        Task<object?> result;
        try
        {
            var arguments = _jelly.Unjelly(call.Arguments, _hooks) as IReadOnlyList<object?>
                ?? throw new JellyException("call arguments must be a tuple");
            var keywordArguments = Keywords(_jelly.Unjelly(call.KeywordArguments, _hooks));
            result = target.CallAsync(call.Method, arguments, keywordArguments, _stop.Token);
        }
        catch (Exception ex)
        {
            // Bad arguments fail the call, not the connection (Twisted answers an InsecureJelly the same way).
            result = Task.FromException<object?>(ex);
        }

        _ = AnswerAsync(call, result);
    }

    private void Decache(long id)
    {
        if (!_cached.RemoveToken(id, out var released))
        {
            // Twisted drops the connection too (KeyError in proto_decache).
            throw new PbProtocolException($"decache of {id}, which this side does not replicate");
        }

        if (released is var (cacheable, observer))
        {
            StopObserving(cacheable, observer);
            _ = SendAsync(new PbUncache(id));
        }
    }

    private static void NotifyReleased(object? released)
    {
        try
        {
            (released as IPbExportLifetime)?.Released();
        }
        catch (Exception)
        {
            // An export's handler failing must not stop the connection's bookkeeping; this layer has no logger.
        }
    }

    private static void StopObserving(IPbCacheable cacheable, PbCacheObserver observer)
    {
        if (!observer.Stop())
        {
            return;
        }

        try
        {
            cacheable.StoppedObserving(observer);
        }
        catch (Exception)
        {
            // The owner's handler failing must not stop the connection's bookkeeping; this layer has no logger.
        }
    }

    private static Dictionary<string, object?> Keywords(object? value)
    {
        if (value is not Dictionary<object, object?> dictionary)
        {
            throw new JellyException($"keyword arguments must be a dictionary, got {PbRepr.Format(value)}");
        }

        return dictionary.ToDictionary(
            pair => pair.Key switch
            {
                string name => name,
                byte[] name => Encoding.UTF8.GetString(name),
                _ => throw new JellyException($"keyword {PbRepr.Format(pair.Key)} is not a string"),
            },
            pair => pair.Value,
            StringComparer.Ordinal);
    }

    /// <summary>Sends the call's outcome once it is known; never throws (it runs unobserved).</summary>
    private async Task AnswerAsync(PbCall call, Task<object?> result)
    {
        PbMessage reply;
        try
        {
            var value = await result.ConfigureAwait(false);
            if (!call.AnswerRequired)
            {
                return;
            }

            // Jellied only when sent: exporting a result counts a reference the peer must release.
            reply = new PbAnswer(call.RequestId, _jelly.Jelly(value, _hooks));
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            return;
        }
        catch (Exception ex) when (call.AnswerRequired)
        {
            var failure = ex is PbRemoteCallException remote ? remote.Failure : new PbFailure(ex.GetType().FullName ?? ex.GetType().Name, ex.Message);
            reply = new PbError(call.RequestId, _jelly.Jelly(failure));
        }
        catch (Exception)
        {
            // Nobody asked for an answer, so nobody hears of the failure, as in Twisted.
            return;
        }

        await SendAsync(reply).ConfigureAwait(false);
    }

    private void Complete(long requestId, object payload, bool isError)
    {
        if (!_pending.TryRemove(requestId, out var answer))
        {
            // Twisted drops the connection too (KeyError in proto_answer).
            throw new PbProtocolException($"answer for request {requestId}, which is not outstanding");
        }

        try
        {
            var value = _jelly.Unjelly(payload, _hooks);
            if (!isError)
            {
                answer.TrySetResult(value);
                return;
            }

            answer.TrySetException(new PbRemoteCallException(value switch
            {
                PbFailure failure => failure,
                string text => new PbFailure(string.Empty, text),
                _ => new PbFailure(string.Empty, PbRepr.Format(value)),
            }));
        }
        catch (JellyException ex)
        {
            // The stream is still in step, so only this call fails.
            answer.TrySetException(ex);
        }
    }

    private Task SendAsync(PbMessage message)
    {
        byte[] bytes;
        try
        {
            bytes = _encoder.Encode(PbMessageCodec.Encode(message));
        }
        catch (ArgumentException ex)
        {
            if (message is PbCall call && _pending.TryRemove(call.RequestId, out var answer))
            {
                answer.TrySetException(ex);
                return Task.CompletedTask;
            }

            // An answer too large for banana: tell the caller instead of leaving it waiting.
            return message is PbAnswer reply
                ? SendAsync(new PbError(reply.RequestId, _jelly.Jelly(new PbFailure(ex.GetType().FullName!, ex.Message))))
                : Task.CompletedTask;
        }

        return SendBytesAsync(bytes);
    }

    private async Task SendBytesAsync(byte[] bytes)
    {
        try
        {
            await _writeLock.WaitAsync(_stop.Token).ConfigureAwait(false);
            try
            {
                _liveness?.OnBytesSent();
                WatchAcknowledgements(bytes.Length);
                await _stream.WriteAsync(bytes, _stop.Token).ConfigureAwait(false);
                await _stream.FlushAsync(_stop.Token).ConfigureAwait(false);
                _liveness?.OnBytesSent();
            }
            finally
            {
                _writeLock.Release();
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException or SocketException)
        {
            await CloseAsync(ex).ConfigureAwait(false);
        }
    }

    private async Task CloseAsync(Exception reason)
    {
        if (Interlocked.CompareExchange(ref _closeReason, reason, null) is not null)
        {
            return;
        }

        _liveness?.Dispose();
        _ready.TrySetException(reason);
        await _stop.CancelAsync().ConfigureAwait(false);
        foreach (var (cacheable, observer) in _cached.Clear())
        {
            StopObserving(cacheable, observer);
        }

        foreach (var exported in _exports.Clear())
        {
            NotifyReleased(exported);
        }

        foreach (var requestId in _pending.Keys)
        {
            if (_pending.TryRemove(requestId, out var answer))
            {
                answer.TrySetException(Lost($"connection lost: {reason.Message}"));
            }
        }

        await _stream.DisposeAsync().ConfigureAwait(false);
        _closed.TrySetResult(reason);
    }

    private PbConnectionLostException Lost(string message) =>
        Volatile.Read(ref _closeReason) is { } reason ? new PbConnectionLostException(message, reason) : new PbConnectionLostException(message);
}
