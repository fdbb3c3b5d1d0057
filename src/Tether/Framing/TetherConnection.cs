using System.Net;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Tether.Diagnostics;
using Tether.Liveness;
using Tether.Transport;

namespace Tether.Framing;

/// <summary>
/// One Tether connection over a transport: the native framing (handshake, channels, chunking, priority lane, credit
/// flow control) with the liveness engine attached. The parts live in partial files by concern: receiving, sending,
/// liveness and closing.
/// </summary>
public sealed partial class TetherConnection : IAsyncDisposable
{
    private readonly ITransport _transport;
    private readonly TetherConnectionOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly FrameDecoder _decoder;
    private readonly LivenessMonitor _monitor;
    private readonly CancellationTokenSource _shutdown = new();
    private readonly CancellationToken _shutdownToken; // kept apart: still readable once _shutdown is disposed
    private readonly TaskCompletionSource _handshakeDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<Disconnection> _disconnected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly object _gate = new();
    private readonly Dictionary<ushort, TetherChannel> _channels = [];
    private Channel<TetherChannel>? _accepted; // created on first use: most connections never accept a channel
    private Handshake _peer;
    private long _bytesSent;
    private long _bytesReceived;
    private Task _receiveLoop = Task.CompletedTask;

    private TetherConnection(ITransport transport, ConnectionRole role, TetherConnectionOptions options)
    {
        _transport = transport;
        _options = options;
        _shutdownToken = _shutdown.Token;
        Role = role;
        _logger = options.LoggerFactory?.CreateLogger<TetherConnection>() ?? NullLogger<TetherConnection>.Instance;
        var heartbeat = options.ResolveHeartbeat();
        _time = heartbeat.TimeProvider;
        _decoder = new FrameDecoder(options.MaxFramePayload);
        _chunkSize = options.ChunkSize;
        DefaultChannel = new TetherChannel(this, 0, openedByPeer: false, options.ChannelWindow);
        _channels.Add(0, DefaultChannel);
        _nextLocalChannel = role == ConnectionRole.Connector ? (ushort)1 : (ushort)2;
        _monitor = heartbeat.Register(new LivenessPeer(this), options.KeepaliveInterval, options.DeadTimeout, _logger, deferKeepalive: role == ConnectionRole.Listener);
    }

    /// <summary>This side's role.</summary>
    public ConnectionRole Role { get; }

    /// <summary>The channel both sides have from the start (number 0).</summary>
    public TetherChannel DefaultChannel { get; }

    /// <summary>The peer's address.</summary>
    public EndPoint? RemoteEndPoint => _transport.RemoteEndPoint;

    /// <summary>The local address.</summary>
    public EndPoint? LocalEndPoint => _transport.LocalEndPoint;

    /// <summary>The limits the peer announced in its handshake.</summary>
    public Handshake PeerHandshake => _peer;

    /// <summary>Liveness state: silence, round-trip time.</summary>
    public LivenessMonitor Liveness => _monitor;

    /// <summary>Completes once, when the connection ends, with the reason.</summary>
    public Task<Disconnection> Disconnected => _disconnected.Task;

    /// <summary>Bytes written to the transport so far.</summary>
    public long BytesSent => Interlocked.Read(ref _bytesSent);

    /// <summary>Bytes read from the transport so far.</summary>
    public long BytesReceived => Interlocked.Read(ref _bytesReceived);

    /// <summary>The options this connection runs with.</summary>
    public TetherConnectionOptions Options => _options;

    internal long PeerMaxMessageSize => _peer.MaxMessageSize;

    internal ITransport Transport => _transport;

    internal int EffectiveChunkSize => _chunkSize;

    /// <summary>
    /// Runs the handshake over <paramref name="transport"/> and returns the open connection. The transport is owned by
    /// the connection from now on, also when this fails.
    /// </summary>
    /// <param name="transport">A connected transport.</param>
    /// <param name="role">Whether this side connected or accepted.</param>
    /// <param name="options">Options; null for defaults.</param>
    /// <param name="cancellationToken">Cancels the handshake.</param>
    /// <returns>The connection.</returns>
    /// <exception cref="ConnectionLostException">The handshake failed; the reason says why.</exception>
    public static async Task<TetherConnection> EstablishAsync(
        ITransport transport,
        ConnectionRole role,
        TetherConnectionOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transport);
        options ??= new TetherConnectionOptions();
        options.Validate();
        var connection = new TetherConnection(transport, role, options);
        connection.Start();
        try
        {
            await connection._handshakeDone.Task.WaitAsync(options.HandshakeTimeout, connection._time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            connection.Terminate(DisconnectReason.HandshakeFailed, $"no handshake from the peer within {options.HandshakeTimeout.TotalSeconds:0.###} s", TransportEnding.Abort);
            throw new ConnectionLostException(connection._disconnection!);
        }
        catch (OperationCanceledException)
        {
            connection.Terminate(DisconnectReason.LocalClose, "handshake cancelled", TransportEnding.Abort);
            throw;
        }

        connection.OnEstablished();
        return connection;
    }

    /// <summary>Opens a new channel to the peer (the peer sees it when the first message arrives).</summary>
    /// <returns>The channel.</returns>
    /// <exception cref="InvalidOperationException">The peer's channel limit is reached, or the connection is closing.</exception>
    public TetherChannel OpenChannel()
    {
        lock (_gate)
        {
            ThrowIfClosedLocked();
            if (_localChannels >= _peer.MaxChannels)
            {
                throw new InvalidOperationException($"The peer allows at most {_peer.MaxChannels} open channels.");
            }

            while (_channels.ContainsKey(_nextLocalChannel))
            {
                AdvanceLocalChannelNumber();
            }

            var channel = new TetherChannel(this, _nextLocalChannel, openedByPeer: false, _options.ChannelWindow) { SendCredit = _peer.ChannelWindow };
            _channels.Add(channel.Id, channel);
            _localChannels++;
            AdvanceLocalChannelNumber();
            return channel;
        }
    }

    /// <summary>Waits for the next channel the peer opens.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The channel.</returns>
    /// <exception cref="ConnectionLostException">The connection ended.</exception>
    public async ValueTask<TetherChannel> AcceptChannelAsync(CancellationToken cancellationToken = default)
    {
        Channel<TetherChannel> accepted;
        lock (_gate)
        {
            accepted = AcceptQueueLocked();
        }

        try
        {
            return await accepted.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException e) when (e.InnerException is ConnectionLostException lost)
        {
            throw new ConnectionLostException(lost.Disconnection);
        }
    }

    /// <summary>The kernel's TCP statistics for this connection (Linux, socket transports, with or without TLS); null otherwise.</summary>
    /// <returns>The snapshot or null.</returns>
    public TcpInfo? GetTcpInfo() => _transport.GetTcpInfo();

    private void Start()
    {
        _receiveLoop = ReceiveLoopAsync();
        StartWriter(inline: false); // the role was held since construction; the preamble goes first
    }

    private Channel<TetherChannel> AcceptQueueLocked()
    {
        if (_accepted is null)
        {
            _accepted = Channel.CreateUnbounded<TetherChannel>(new UnboundedChannelOptions { SingleWriter = true });
            if (_disconnection is { } ended)
            {
                _accepted.Writer.TryComplete(new ConnectionLostException(ended));
            }
        }

        return _accepted;
    }

    private void OnEstablished()
    {
        lock (_gate)
        {
            // Terminate publishes the disconnection under this lock, so it is either fully visible here or not begun.
            if (_disconnection is { } ended)
            {
                throw new ConnectionLostException(ended);
            }

            _counted = true;
        }

        TetherMetrics.ConnectionsOpened.Add(1);
        TetherMetrics.ActiveConnections.Add(1);
        Log.Established(_logger, RemoteEndPoint, Role, _peer.MaxFramePayload, _peer.ChannelWindow);
    }

    private void AdvanceLocalChannelNumber()
    {
        var next = _nextLocalChannel + 2;
        _nextLocalChannel = next > ushort.MaxValue ? (Role == ConnectionRole.Connector ? (ushort)1 : (ushort)2) : (ushort)next;
    }

    private bool IsLocalChannelNumber(ushort id) => id != 0 && (id % 2 == 1) == (Role == ConnectionRole.Connector);

    private void ThrowIfClosedLocked()
    {
        if (_disconnection is { } d)
        {
            throw new ConnectionLostException(d);
        }

        if (_closing)
        {
            throw new InvalidOperationException("The connection is closing.");
        }
    }

    /// <summary>Adapter so the liveness engine's callbacks stay off this class's public surface.</summary>
    private sealed class LivenessPeer(TetherConnection connection) : ILivenessPeer
    {
        public void SendKeepalive() => connection.QueuePing();

        public void DeclareDead(TimeSpan silence) => connection.Terminate(
            connection._handshakeDone.Task.IsCompletedSuccessfully ? DisconnectReason.DeadPeer : DisconnectReason.HandshakeFailed,
            $"no inbound byte for {silence.TotalSeconds:0.###} s (dead timeout {connection._options.DeadTimeout.TotalSeconds:0.###} s)",
            TransportEnding.Abort);
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Debug, Message = "Connection established with {Remote} as {Role}; peer accepts frames up to {MaxFrame} B, window {Window} B per channel.")]
        public static partial void Established(ILogger logger, EndPoint? remote, ConnectionRole role, int maxFrame, int window);

        [LoggerMessage(Level = LogLevel.Information, Message = "Connection with {Remote} ended: {Disconnection}")]
        public static partial void Ended(ILogger logger, EndPoint? remote, Disconnection disconnection);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Connection with {Remote} closed for a protocol violation: {Detail}")]
        public static partial void Violation(ILogger logger, EndPoint? remote, string detail);
    }
}
