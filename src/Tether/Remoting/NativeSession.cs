using System.Buffers;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Nerdbank.MessagePack;
using Tether.Framing;
using Tether.Internal;
using Tether.Protocol;
using Tether.Remoting.Login;

namespace Tether.Remoting;

/// <summary>
/// The object layer of one connection speaking Tether's native protocol: it exports this side's objects to the peer,
/// holds references to the peer's, runs the peer's calls, and carries replicas and their updates. Every remoting
/// message travels as one MessagePack message on the connection's default channel, so framing chunks big ones and
/// liveness never waits behind them.
/// </summary>
/// <remarks>
/// The class is split by concern: calls made (<c>.Calls.cs</c>), calls served (<c>.Dispatch.cs</c>), references and
/// lifetimes (<c>.References.cs</c>), caches (<c>.Caches.cs</c>) and the end of the connection (<c>.Disconnect.cs</c>).
/// </remarks>
internal sealed partial class NativeSession : TetherSession
{
    private readonly TetherConnection _connection;
    private readonly TetherChannel _channel;
    private readonly RemotingOptions _options;
    private readonly ValueWriter _valueWriter; // used under _sendGate
    private readonly ValueReader _valueReader; // used by the receive loop only
    private readonly FreeList<PooledBufferWriter> _messageBuffers = new(capacity: 64); // back from the writer once sent

    // _gate guards the tables; _sendGate makes "serialize, then queue" one step so messages reach the wire in the order
    // their contents were decided (a replica's first appearance before anything naming it). Order: _sendGate, then _gate.
    private readonly Lock _gate = new();
    private readonly Lock _sendGate = new();
    private readonly TaskCompletionSource<Disconnection> _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile Disconnection? _disconnection;

    private NativeSession(TetherConnection connection, RemotingOptions options, object? root)
        : base(connection.Options.LoggerFactory?.CreateLogger<TetherSession>() ?? NullLogger<TetherSession>.Instance)
    {
        _connection = connection;
        _channel = connection.DefaultChannel;
        _options = options;
        _valueWriter = new ValueWriter(options.Types, this, options.Limits.MaxDepth);
        _valueReader = new ValueReader(options.Types, this, options.Limits);
        if (root is not null)
        {
            ExportRoot(root);
        }

        RemotingCounters.Sessions.Add(1);
    }

    /// <inheritdoc />
    public override TetherConnection Connection => _connection;

    /// <inheritdoc />
    public override System.Net.EndPoint? RemoteEndPoint => _connection.RemoteEndPoint;

    /// <inheritdoc />
    public override bool IsConnected => _disconnection is null;

    /// <inheritdoc />
    public override Task<Disconnection> Disconnected => _ended.Task;

    /// <summary>Starts the object layer on an established connection (see <see cref="TetherSession.Start"/>).</summary>
    internal static NativeSession Launch(TetherConnection connection, RemotingOptions options, object? root)
    {
        var session = new NativeSession(connection, options, root);
        session.Run();
        return session;
    }

    /// <inheritdoc />
    internal override async Task<RemoteReference> LoginAsync(Credentials credentials, IReferenceable? mind, CancellationToken cancellationToken)
    {
        try
        {
            switch (credentials)
            {
                case PasswordCredentials password:
                    var challenge = await Root.CallAsync<byte[]>("Challenge", cancellationToken).ConfigureAwait(false);
                    var verifier = PasswordVerifier.Derive(password.UserName, password.Password);
                    return await Root.CallAsync<RemoteReference>("Login", password.UserName, PasswordVerifier.Respond(verifier, challenge), mind, cancellationToken).ConfigureAwait(false);
                case TokenCredentials token:
                    return await Root.CallAsync<RemoteReference>("LoginWithToken", token.Token, mind, cancellationToken).ConfigureAwait(false);
                default:
                    throw new ArgumentException($"Unsupported credentials {credentials.GetType()}.", nameof(credentials));
            }
        }
        catch (RemoteCallException e) when (e.RemoteType == typeof(LoginRefusedException).FullName)
        {
            throw new LoginRefusedException(e.Message, e);
        }
    }

    /// <inheritdoc />
    public override void Abort(string reason) => _connection.Abort(reason);

    /// <inheritdoc />
    public override Task<bool> ProbePeerAsync(TimeSpan timeout, CancellationToken cancellationToken = default) =>
        _connection.ProbePeerAsync(timeout, cancellationToken);

    /// <inheritdoc />
    public override RemotingStatistics GetStatistics()
    {
        lock (_gate)
        {
            return new RemotingStatistics(_exportsById.Count, _imports.Count, _pending.Count, _incoming.Count, _observersById.Count, _replicas.Count, DisconnectNotifierCount);
        }
    }

    /// <inheritdoc />
    public override async Task CloseAsync(CancellationToken cancellationToken = default)
    {
        await _connection.CloseAsync(cancellationToken).ConfigureAwait(false);
        await _ended.Task.ConfigureAwait(false);
    }

    /// <inheritdoc />
    public override async ValueTask DisposeAsync()
    {
        await _connection.DisposeAsync().ConfigureAwait(false);
        await _ended.Task.ConfigureAwait(false);
    }

    /// <inheritdoc />
    public override string ToString() => $"session {_connection.RemoteEndPoint}{(UserName is null ? string.Empty : $" ({UserName})")}";

    private void Run()
    {
        _ = _connection.Disconnected.ContinueWith(static (t, state) => ((NativeSession)state!).OnDisconnected(t.Result), this, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        _ = Task.Run(ReceiveLoopAsync);
    }

    // At most this many received messages are handled before what they sent is written.
    private const int MaxHeldMessages = 64;

    private async Task ReceiveLoopAsync()
    {
        try
        {
            var held = 0;
            while (true)
            {
                // Messages that are already here are handled with this thread's writes held, so their answers leave in
                // one socket write; before waiting for more (or after a long run), what was held is written.
                var next = _channel.ReceiveAsync();
                if (!next.IsCompleted || held == MaxHeldMessages)
                {
                    _connection.ReleaseHeldWrites();
                    held = 0;
                }

                var received = await next.ConfigureAwait(false);
                if (received is not { } message)
                {
                    // The peer ended its object layer but not the connection: nothing more can be asked or answered.
                    _connection.FailProtocol("the peer closed the default channel, which carries the remoting messages");
                    return;
                }

                try
                {
                    _connection.HoldWrites();
                    held++;
                    Handle(message.Payload);
                }
                finally
                {
                    message.Dispose();
                }
            }
        }
        catch (ConnectionLostException)
        {
            // OnDisconnected settles everything.
        }
        catch (RemotingProtocolException e)
        {
            _connection.FailProtocol(e.Message);
        }
        catch (Exception e)
        {
            // A bug of ours, not the peer's: say so, and end the connection rather than leave calls hanging on it.
            LogReceiveLoopFailed(Logger, e);
            _connection.Abort($"internal error in the remoting layer: {e.GetType().Name}: {e.Message}");
        }
        finally
        {
            _connection.ReleaseHeldWrites();
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "The remoting receive loop failed")]
    private static partial void LogReceiveLoopFailed(ILogger logger, Exception error);

    private void Handle(ReadOnlySequence<byte> payload)
    {
        var reader = new MessagePackReader(payload);
        MessageKind kind;
        try
        {
            var fields = reader.ReadArrayHeader();
            kind = (MessageKind)reader.ReadByte();
            if (fields != ExpectedFields(kind))
            {
                throw new RemotingProtocolException($"remoting message of kind {kind} has {fields} fields, expected {ExpectedFields(kind)}");
            }

            switch (kind)
            {
                case MessageKind.Call: HandleCall(ref reader); break;
                case MessageKind.Answer: HandleAnswer(ref reader); break;
                case MessageKind.Error: HandleError(ref reader); break;
                case MessageKind.Cancel: HandleCancel(reader.ReadUInt32()); break;
                case MessageKind.Decref: HandleDecref(reader.ReadUInt32(), reader.ReadInt32()); break;
                case MessageKind.CacheUpdate: HandleCacheUpdate(ref reader); break;
                case MessageKind.Uncache: HandleUncache(reader.ReadUInt32()); break;
            }
        }
        catch (Exception e) when (e is MessagePackSerializationException or EndOfStreamException or OverflowException)
        {
            throw new RemotingProtocolException($"malformed remoting message: {e.Message}");
        }
    }

    private static int ExpectedFields(MessageKind kind) => kind switch
    {
        MessageKind.Call => 5,
        MessageKind.Answer => 3,
        MessageKind.Error => 5,
        MessageKind.Cancel => 2,
        MessageKind.Decref => 3,
        MessageKind.CacheUpdate => 4,
        MessageKind.Uncache => 2,
        _ => throw new RemotingProtocolException($"unknown remoting message kind {(byte)kind}"),
    };

    /// <summary>The receive loop's reader, reset for the next message.</summary>
    private ValueReader NewValueReader()
    {
        _messageReplicas.Clear();
        _valueReader.Reset();
        return _valueReader;
    }

    /// <summary>
    /// Serializes a message and queues it, in one step under the send lock. Nothing awaits the write: the buffer goes
    /// back to the pool when the framing layer is done with it, and a failed write ends the connection, whose end
    /// settles every call.
    /// </summary>
    /// <exception cref="TetherSerializationException">A value in it cannot be sent (nothing was queued, nothing leaked).</exception>
    /// <exception cref="ConnectionLostException">The connection is gone.</exception>
    private void SendMessage<TState>(in TState state, MessageBody<TState> body)
    {
        var buffer = PooledBufferWriter.Rent(_messageBuffers);
        lock (_sendGate)
        {
            try
            {
                if (_disconnection is { } lost)
                {
                    throw new ConnectionLostException(lost);
                }

                _messageExports.Clear();
                _messageObservers.Clear();
                try
                {
                    var writer = new MessagePackWriter(buffer);
                    _valueWriter.Reset();
                    body(ref writer, _valueWriter, state);
                    writer.Flush();
                }
                catch
                {
                    RollBackMessage();
                    throw;
                }
            }
            catch
            {
                buffer.Dispose();
                throw;
            }

            // The framing layer owns the buffer from here and disposes it once, even when it refuses the message (a
            // second dispose here could return a buffer another message has meanwhile rented).
            try
            {
                _channel.Post(buffer.WrittenMemory, buffer, writeNow: IsQuiet());
            }
            catch (ArgumentOutOfRangeException)
            {
                // Too large for the peer: nothing was sent, so the references it counted are not the peer's to release.
                RollBackMessage();
                throw;
            }
        }
    }

    /// <summary>
    /// True when at most one call is in flight either way: a message sent now is likely alone, so it is written at once
    /// on the sender's thread. Otherwise the write is left to the thread pool, which gathers the messages of concurrent
    /// calls into shared socket writes.
    /// </summary>
    private bool IsQuiet()
    {
        lock (_gate)
        {
            return _pending.Count + _incoming.Count <= 1;
        }
    }

    /// <summary>Sends a message whose loss with the connection needs no report (answers, cancels, decrefs).</summary>
    private void Post<TState>(in TState state, MessageBody<TState> body)
    {
        try
        {
            SendMessage(state, body);
        }
        catch (ConnectionLostException)
        {
        }
    }

    /// <summary>
    /// The next id after <paramref name="last"/> that is neither 0 (reserved: the root, or "no call") nor in use; ids
    /// wrap around after 2^32 and skip the ones still taken. Called under <c>_gate</c>.
    /// </summary>
    private static uint NextFreeId<T>(ref uint last, Dictionary<uint, T> inUse)
    {
        do
        {
            last++;
        }
        while (last == 0 || inUse.ContainsKey(last));

        return last;
    }

    private delegate void MessageBody<TState>(ref MessagePackWriter writer, ValueWriter values, TState state);
}

/// <summary>Counts of a session's tables.</summary>
/// <param name="Exports">Objects this side exports to the peer (including the root).</param>
/// <param name="Imports">Live references to the peer's objects.</param>
/// <param name="OutstandingCalls">Calls made and not yet answered.</param>
/// <param name="IncomingCalls">The peer's calls running here.</param>
/// <param name="Observers">Replicas of this side's cacheables that the peer holds.</param>
/// <param name="Replicas">Replicas of the peer's cacheables held here.</param>
/// <param name="DisconnectNotifiers">Callbacks waiting for the connection to be lost.</param>
public sealed record RemotingStatistics(int Exports, int Imports, int OutstandingCalls, int IncomingCalls, int Observers, int Replicas, int DisconnectNotifiers);

/// <summary>The peer sent a remoting message that breaks the protocol; the connection ends with ProtocolViolation.</summary>
internal sealed class RemotingProtocolException(string message) : Exception(message);
