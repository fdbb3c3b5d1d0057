using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Tether.Pb.Banana;
using Tether.Pb.Jelly;

namespace Tether.Pb.Protocol;

/// <summary>
/// The client end of a Perspective Broker connection to a Twisted PB server (<c>PBServerFactory</c>):
/// dialect and version negotiation, calls with answers and errors, remote references with
/// <c>decref</c>, and twisted.cred login. It exports nothing yet: calls from the server are answered
/// with PB's "Invalid Object ID" error, and cacheables are refused.
/// </summary>
public sealed class PbConnection : IAsyncDisposable
{
    private const int ReceiveBufferSize = 16 * 1024;

    private readonly Stream _stream;
    private readonly PbConnectionOptions _options;
    private readonly BananaDecoder _decoder;
    private readonly BananaEncoder _encoder;
    private readonly JellySerializer _jelly;
    private readonly Hooks _hooks;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly ConcurrentDictionary<long, TaskCompletionSource<object?>> _pending = new();
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<Exception> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stop = new();
    private HandshakeState _handshake = HandshakeState.AwaitingOffer;
    private long _nextRequestId;
    private Task _receiveLoop = Task.CompletedTask;

    private PbConnection(Stream stream, PbConnectionOptions options)
    {
        _stream = stream;
        _options = options;
        _decoder = new BananaDecoder(options.Banana);
        _encoder = new BananaEncoder(options.Banana);
        _jelly = new JellySerializer(options.Registry, options.Banana.MaxDepth);
        _hooks = new Hooks(this);
        Root = new PbRemoteReference(this, PbObjectId.Root, counted: false);
    }

    private enum HandshakeState
    {
        AwaitingOffer,
        AwaitingVersion,
        Ready,
    }

    /// <summary>The server's root object (<c>PBClientFactory.getRootObject</c>); not reference counted.</summary>
    public PbRemoteReference Root { get; }

    /// <summary>Completes when the connection has ended, with the reason.</summary>
    public Task<Exception> Closed => _closed.Task;

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

    /// <summary>Negotiates over an open stream (a socket, a pipe) whose other end is a PB server; owns the stream from then on.</summary>
    /// <exception cref="PbProtocolException">The server does not speak PB version 6 in the "pb" dialect.</exception>
    public static async Task<PbConnection> ConnectAsync(Stream stream, PbConnectionOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var connection = new PbConnection(stream, options ?? new PbConnectionOptions());
        connection._receiveLoop = Task.Run(connection.ReceiveLoopAsync, CancellationToken.None);
        try
        {
            await connection._ready.Task.WaitAsync(connection._options.HandshakeTimeout, cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch (Exception ex)
        {
            await connection.CloseAsync(ex).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Logs in through the server's twisted.cred portal with username and password (challenge-response;
    /// the password does not cross the wire) and returns the user's perspective.
    /// </summary>
    /// <param name="username">The user name (sent as UTF-8 bytes, as <c>PBClientFactory.login</c> does).</param>
    /// <param name="password">The password.</param>
    /// <param name="mind">The client object the server's realm receives, or null.</param>
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
        CancellationToken cancellationToken)
    {
        if (_closed.Task.IsCompleted)
        {
            return Task.FromException<object?>(new PbConnectionLostException("the connection is closed", _closed.Task.Result));
        }

        PbCall call;
        var requestId = Interlocked.Increment(ref _nextRequestId);
        try
        {
            call = new PbCall(
                requestId,
                target,
                method,
                AnswerRequired: true,
                _jelly.Jelly(new PbTuple(arguments), _hooks),
                _jelly.Jelly(keywordArguments ?? new Dictionary<string, object?>(), _hooks));
        }
        catch (ArgumentException ex)
        {
            return Task.FromException<object?>(ex);
        }

        var answer = new TaskCompletionSource<object?>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[requestId] = answer;
        if (_closed.Task.IsCompleted)
        {
            // Closed between the check above and registration; CloseAsync may already have swept the table.
            _pending.TryRemove(requestId, out _);
            answer.TrySetException(new PbConnectionLostException("the connection is closed", _closed.Task.Result));
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

    internal void Release(PbObjectId id)
    {
        if (!_closed.Task.IsCompleted)
        {
            _ = SendAsync(new PbDecRef(id));
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
                ChooseDialect(expression);
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
            case PbCall { AnswerRequired: true } call:
                // Nothing is exported yet: answer as Twisted does for an unknown object id.
                _ = SendAsync(new PbError(call.RequestId, _jelly.Jelly(new PbFailure("twisted.spread.pb.Error", "Invalid Object ID"))));
                break;
            case PbCall or PbDidNotUnderstand:
                break;
            case PbVersion { Version: PbVersion.Current }:
                break;
            case PbUnknownCommand unknown:
                _ = SendAsync(new PbDidNotUnderstand(unknown.Command));
                break;
            case var other:
                // A version change, or decref/decache/uncache for objects this side never sent.
                throw new PbProtocolException($"unexpected {PbRepr.Format(expression)} ({other.GetType().Name})");
        }
    }

    private void ChooseDialect(object offer)
    {
        if (offer is not IReadOnlyList<object> dialects || !dialects.Any(d => d is byte[] name && name.AsSpan().SequenceEqual("pb"u8)))
        {
            throw new PbProtocolException($"the server does not offer the pb dialect: {PbRepr.Format(offer)}");
        }

        // The choice itself still travels in the plain dialect; everything after it in "pb".
        var choice = _encoder.Encode("pb"u8.ToArray());
        _encoder.Dialect = BananaDialect.Pb;
        _decoder.Dialect = BananaDialect.Pb;
        _handshake = HandshakeState.AwaitingVersion;
        _ = SendBytesAsync([.. choice, .. _encoder.Encode(PbMessageCodec.Encode(new PbVersion(PbVersion.Current)))]);
    }

    private void Complete(long requestId, object payload, bool isError)
    {
        if (!_pending.TryRemove(requestId, out var answer))
        {
            // Twisted drops the connection here too (KeyError in proto_answer).
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
            }

            return Task.CompletedTask;
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
                await _stream.WriteAsync(bytes, _stop.Token).ConfigureAwait(false);
                await _stream.FlushAsync(_stop.Token).ConfigureAwait(false);
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
        if (!_closed.TrySetResult(reason))
        {
            return;
        }

        _ready.TrySetException(reason);
        await _stop.CancelAsync().ConfigureAwait(false);
        foreach (var requestId in _pending.Keys)
        {
            if (_pending.TryRemove(requestId, out var answer))
            {
                answer.TrySetException(new PbConnectionLostException($"connection lost: {reason.Message}", reason));
            }
        }

        await _stream.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>The connection's side of jelly: remote references in, our references to the peer's objects out.</summary>
    private sealed class Hooks(PbConnection connection) : IPbReferenceHooks
    {
        public PbReference? ToReference(object value) =>
            value is PbRemoteReference reference && reference.Connection == connection ? new PbLocal(reference.Id) : null;

        public object? FromReference(PbReference reference) => reference switch
        {
            PbRemote remote => new PbRemoteReference(connection, remote.Id, counted: true),
            _ => throw new JellyException($"{reference} is not supported by this connection yet (it exports no objects and observes no cacheables)"),
        };
    }
}
