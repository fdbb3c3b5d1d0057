using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Tether.Pb.Banana;
using Tether.Pb.Jelly;
using Tether.Pb.Protocol;
using Tether.Protocol;
using Tether.Remoting;
using Tether.Remoting.Login;

namespace Tether.Pb.Remoting;

/// <summary>
/// Tether's object model over a Twisted PB connection: the same <see cref="TetherSession"/> user code gets from the
/// native protocol, with calls, references, copyables, cacheables and login carried by <see cref="PbConnection"/>.
/// </summary>
/// <remarks>
/// Split by concern: this file holds the session's life and the calls it makes; <c>.Exports.cs</c> the objects the
/// peer calls here (referenceables, cacheables, replicas).
/// </remarks>
internal sealed partial class PbSession : TetherSession
{
    private readonly RemotingOptions _options;
    private const string ClosedBySession = "closed by this side";

    private readonly TwistedPbProtocol _protocol;
    private readonly Lock _gate = new();
    private readonly Dictionary<uint, PbRemoteReference> _imports = [];
    private readonly TaskCompletionSource<Disconnection> _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private PbConnection? _connection;
    private EndPoint? _remoteEndPoint;
    private volatile Disconnection? _disconnection;
    private string? _localCloseDetail;
    private uint _lastImport;
    private int _outstandingCalls;

    private PbSession(RemotingOptions options, TwistedPbProtocol protocol, IReferenceable? root, ILogger logger)
        : base(logger)
    {
        _options = options;
        _protocol = protocol;
        _exportedRoot = root;
    }

    private PbConnection Wire => _connection ?? throw new InvalidOperationException("The PB connection is not open yet.");

    /// <inheritdoc />
    public override EndPoint? RemoteEndPoint => _remoteEndPoint;

    /// <inheritdoc />
    public override bool IsConnected => _disconnection is null;

    /// <inheritdoc />
    public override Task<Disconnection> Disconnected => _ended.Task;

    /// <summary>Opens a PB session over a connected socket, as the client (<paramref name="root"/> null) or the server.</summary>
    public static async Task<PbSession> StartAsync(
        Socket socket,
        bool isClient,
        TetherConnectionOptions connection,
        RemotingOptions remoting,
        TwistedPbProtocol protocol,
        IReferenceable? root,
        CancellationToken cancellationToken)
    {
        var logger = connection.LoggerFactory?.CreateLogger<TetherSession>() ?? NullLogger<TetherSession>.Instance;
        var session = new PbSession(remoting, protocol, root, logger) { _remoteEndPoint = socket.RemoteEndPoint };
        var options = session.ConnectionOptions(connection, isClient);
        var stream = new NetworkStream(socket, ownsSocket: true);
        session._connection = isClient
            ? await PbConnection.ConnectAsync(stream, options, cancellationToken).ConfigureAwait(false)
            : await PbConnection.AcceptAsync(stream, options, cancellationToken).ConfigureAwait(false);
        _ = session._connection.Closed.ContinueWith(
            static (closed, state) => ((PbSession)state!).OnClosed(closed.Result),
            session,
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
        return session;
    }

    /// <inheritdoc />
    public override RemotingStatistics GetStatistics()
    {
        lock (_gate)
        {
            return new RemotingStatistics(
                Wire.ExportCount,
                _imports.Count,
                Volatile.Read(ref _outstandingCalls),
                Volatile.Read(ref _incomingCalls),
                _observers.Count,
                Wire.ReplicaCount,
                DisconnectNotifierCount);
        }
    }

    /// <inheritdoc />
    public override void Abort(string reason)
    {
        CloseLocally(reason);
        _ = Wire.AbortAsync(reason);
    }

    /// <inheritdoc />
    public override Task<bool> ProbePeerAsync(TimeSpan timeout, CancellationToken cancellationToken = default) =>
        Wire.ProbePeerAsync(timeout, cancellationToken);

    /// <inheritdoc />
    public override async Task CloseAsync(CancellationToken cancellationToken = default)
    {
        CloseLocally(ClosedBySession);
        await Wire.DisposeAsync().ConfigureAwait(false);
        await _ended.Task.ConfigureAwait(false);
    }

    /// <inheritdoc />
    public override async ValueTask DisposeAsync()
    {
        if (_connection is { } connection)
        {
            CloseLocally(ClosedBySession);
            await connection.DisposeAsync().ConfigureAwait(false);
            await _ended.Task.ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public override string ToString() => $"PB session {_remoteEndPoint}{(UserName is null ? string.Empty : $" ({UserName})")}";

    /// <summary>A reference the peer sent, as Tether's <see cref="RemoteReference"/> (one per received token).</summary>
    internal RemoteReference Import(PbRemoteReference peerObject)
    {
        lock (_gate)
        {
            var id = NextImportId();
            _imports.Add(id, peerObject);
            return new RemoteReference(this, id, counted: true);
        }
    }

    internal override async Task<T> CallAsync<T>(uint target, string method, CallArguments arguments, CancellationToken cancellationToken)
    {
        PbRemoteReference peerObject;
        lock (_gate)
        {
            if (_disconnection is { } lost)
            {
                throw new ConnectionLostException(lost);
            }

            if (target == 0)
            {
                peerObject = Wire.Root;
            }
            else if (!_imports.TryGetValue(target, out peerObject!))
            {
                throw new ObjectDisposedException(nameof(RemoteReference), $"The reference #{target} was released; it cannot be called.");
            }
        }

        Interlocked.Increment(ref _outstandingCalls);
        try
        {
            var result = await peerObject.CallRemoteAsync(method, arguments.ToArray(), keywordArguments: null, cancellationToken).ConfigureAwait(false);
            return (T)new PbValueConverter(this).Convert(result, typeof(T))!;
        }
        catch (Exception e) when (Translate(e) is { } translated)
        {
            throw translated;
        }
        finally
        {
            Interlocked.Decrement(ref _outstandingCalls);
        }
    }

    internal override void ReleaseImport(RemoteReference reference, int count)
    {
        PbRemoteReference? peerObject;
        lock (_gate)
        {
            _imports.Remove(reference.Id, out peerObject);
        }

        peerObject?.Dispose();
    }

    internal override async Task<RemoteReference> LoginAsync(Credentials credentials, IReferenceable? mind, CancellationToken cancellationToken)
    {
        if (credentials is not PasswordCredentials password)
        {
            throw new ArgumentException("Twisted PB logs in with a user name and password (PasswordCredentials) only.", nameof(credentials));
        }

        try
        {
            return Import(await Wire.LoginAsync(password.UserName, password.Password, mind, cancellationToken).ConfigureAwait(false));
        }
        catch (PbRemoteCallException e) when (e.RemoteType.EndsWith("UnauthorizedLogin", StringComparison.Ordinal))
        {
            throw new LoginRefusedException(e.RemoteMessage.Length > 0 ? e.RemoteMessage : "The server refused the login.", e);
        }
        catch (Exception e) when (Translate(e) is { } translated)
        {
            throw translated;
        }
    }

    /// <summary>The PB library's exceptions in the object model's terms; null for exceptions that keep their own.</summary>
    private Exception? Translate(Exception error) => error switch
    {
        PbRemoteCallException remote => new RemoteCallException(remote.RemoteType, remote.RemoteMessage, remote.Failure.Traceback.Length > 0 ? remote.Failure.Traceback : null),
        PbConnectionLostException lost => new ConnectionLostException(_disconnection ?? Describe(lost.InnerException ?? lost)),
        JellyException bad => new TetherSerializationException(bad.Message, bad),
        _ => null,
    };

    private PbConnectionOptions ConnectionOptions(TetherConnectionOptions connection, bool isClient) => new()
    {
        Registry = CopyableRegistry(),
        Root = isClient ? null : _exportedRoot switch
        {
            LoginEndpoint login => LoginRoot(login),
            { } root => ExportOf(root),
            null => null,
        },
        MaxExports = _options.MaxExports,
        ReplicaFactory = CreateReplica,
        MapOutbound = MapOutbound,
        Liveness = new PbLivenessOptions
        {
            KeepaliveInterval = connection.KeepaliveInterval,
            DeadTimeout = connection.DeadTimeout,
            Heartbeat = connection.Heartbeat,
            PingObject = _protocol.PingObject,
            PingMethod = _protocol.PingMethod,
        },
        HandshakeTimeout = connection.HandshakeTimeout,
    };

    private void OnClosed(Exception reason)
    {
        var disconnection = Describe(reason);
        lock (_gate)
        {
            _disconnection = disconnection;
            _imports.Clear(); // the peer forgets its exports with the connection
            _replicas.Clear();
        }

        NotifyDisconnected(disconnection);
        _ended.TrySetResult(disconnection);
    }

    /// <summary>Records that this side is ending the connection, so its end is reported as <see cref="DisconnectReason.LocalClose"/>.</summary>
    private void CloseLocally(string detail) => Interlocked.CompareExchange(ref _localCloseDetail, detail, null);

    /// <summary>How the PB connection ended, in the native protocol's vocabulary.</summary>
    private Disconnection Describe(Exception reason)
    {
        var (kind, detail) = reason switch
        {
            PbConnectionLostException when _localCloseDetail is { } local => (DisconnectReason.LocalClose, local),
            PbConnectionLostException lost => (DisconnectReason.PeerClosed, lost.Message),
            PbDeadPeerException dead => (DisconnectReason.DeadPeer, dead.Message),
            BananaException or PbProtocolException or JellyException => (DisconnectReason.ProtocolViolation, reason.Message),
            TimeoutException => (DisconnectReason.HandshakeFailed, reason.Message),
            IOException { InnerException: SocketException socket } => Transport.SocketTransport.ClassifySocketError(socket),
            SocketException socket => Transport.SocketTransport.ClassifySocketError(socket),
            _ => (DisconnectReason.TransportError, reason.Message),
        };
        return new Disconnection(kind, detail, (reason as PbDeadPeerException)?.Silence ?? TimeSpan.Zero, 0, 0);
    }

    /// <summary>The next free local id for an import; 0 is the peer's root. Called under <c>_gate</c>.</summary>
    private uint NextImportId()
    {
        do
        {
            _lastImport++;
        }
        while (_lastImport == 0 || _imports.ContainsKey(_lastImport));

        return _lastImport;
    }
}
