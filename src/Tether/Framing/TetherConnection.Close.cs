using Microsoft.Extensions.Logging;
using Tether.Diagnostics;
using Tether.Internal;

namespace Tether.Framing;

/// <summary>Ending a connection: exactly once, with one typed reason, failing everything still outstanding.</summary>
public sealed partial class TetherConnection
{
    private const long MaxDiscardAfterClose = 1024 * 1024;
    private static readonly TimeSpan CloseFrameGrace = TimeSpan.FromSeconds(1);

    private int _terminated;
    private Disconnection? _disconnection;
    private bool _closing;
    private bool _counted;

    private enum TransportEnding
    {
        /// <summary>RST at once: the peer is dead or the stream is unusable.</summary>
        Abort,

        /// <summary>FIN after what was already written.</summary>
        Graceful,

        /// <summary>Write a CLOSE frame with the reason (bounded wait), then FIN.</summary>
        SendCloseFrame,
    }

    /// <summary>
    /// Closes in order: waits (up to <see cref="TetherConnectionOptions.CloseTimeout"/>) for queued messages to be written,
    /// sends CLOSE and FIN, and waits for the peer to close its side. Falls back to an abort when the time runs out.
    /// </summary>
    /// <param name="cancellationToken">Turns the orderly close into an immediate abort.</param>
    /// <returns>A task that completes when the connection has ended.</returns>
    public async Task CloseAsync(CancellationToken cancellationToken = default)
    {
        TaskCompletionSource drained;
        lock (_gate)
        {
            if (_disconnection is not null || _closing)
            {
                drained = null!;
            }
            else
            {
                _closing = true;
                drained = _drainWaiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }

        if (drained is null)
        {
            await Disconnected.WaitAsync(cancellationToken).ConfigureAwait(false);
            return;
        }

        var orderly = false;
        using var deadline = new CancellationTokenSource(_options.CloseTimeout, _time);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        try
        {
            WakeWriter(inline: true);
            await drained.Task.WaitAsync(timeout.Token).ConfigureAwait(false);
            lock (_gate)
            {
                _closeCode = CloseCode.Normal;
                _closeReason = "closed by the application";
                _closeQueued = true;
            }

            WakeWriter(inline: true);
            await _closeFrameWritten.Task.WaitAsync(timeout.Token).ConfigureAwait(false);

            // The peer answers our FIN with its own; the receive loop ends on it.
            await _receiveLoop.WaitAsync(timeout.Token).ConfigureAwait(false);
            orderly = true;
        }
        catch (OperationCanceledException)
        {
        }

        Terminate(DisconnectReason.LocalClose, orderly ? "closed by this side" : "closed by this side (the orderly close timed out; aborted)", orderly ? TransportEnding.Graceful : TransportEnding.Abort);
        await Disconnected.ConfigureAwait(false);
    }

    /// <summary>Closes in order (see <see cref="CloseAsync"/>) and waits for the connection's loops to finish.</summary>
    /// <returns>A task for the disposal.</returns>
    public async ValueTask DisposeAsync()
    {
        await CloseAsync().ConfigureAwait(false);
        await _receiveLoop.ConfigureAwait(false);
        await WriterIdleAsync().ConfigureAwait(false);
        _shutdown.Dispose();
    }

    /// <summary>Aborts the connection at once (RST), reporting <see cref="DisconnectReason.LocalClose"/>.</summary>
    /// <param name="detail">Why, for logs and the peer's view.</param>
    public void Abort(string detail = "aborted by this side") => Terminate(DisconnectReason.LocalClose, detail, TransportEnding.Abort);

    /// <summary>
    /// Ends the connection because a layer above framing received bytes that break its protocol: logged, CLOSE sent
    /// with the violation code, then the transport is shut down.
    /// </summary>
    /// <param name="detail">What was wrong.</param>
    internal void FailProtocol(string detail)
    {
        Log.Violation(_logger, RemoteEndPoint, detail);
        Terminate(DisconnectReason.ProtocolViolation, detail, TransportEnding.SendCloseFrame, CloseCode.ProtocolViolation);
    }

    private void Terminate(DisconnectReason reason, string detail, TransportEnding ending, CloseCode closeCode = CloseCode.Normal)
    {
        if (Interlocked.CompareExchange(ref _terminated, 1, 0) != 0)
        {
            return;
        }

        var disconnection = new Disconnection(reason, detail, _monitor.Silence, BytesSent, BytesReceived);
        List<PendingSend> pending = [];
        bool counted;
        lock (_gate)
        {
            _disconnection = disconnection;
            counted = _counted;
            foreach (var channel in _channels.Values)
            {
                pending.AddRange(channel.SendQueue);
                channel.SendQueue.Clear();
            }

            _ready.Clear();
            if (ending == TransportEnding.SendCloseFrame)
            {
                _closeCode = closeCode;
                _closeReason = detail;
                _closeQueued = true;
            }
        }

        _monitor.Dispose();
        var error = new ConnectionLostException(disconnection);
        _handshakeDone.TrySetException(error);
        foreach (var send in pending)
        {
            send.TryComplete(error);
        }

        lock (_gate)
        {
            _accepted?.Writer.TryComplete(error);
        }
        TetherMetrics.Disconnects.Add(1, new KeyValuePair<string, object?>("reason", disconnection.ReasonCode));
        if (counted)
        {
            TetherMetrics.ActiveConnections.Add(-1);
        }

        Log.Ended(_logger, RemoteEndPoint, disconnection);
        switch (ending)
        {
            case TransportEnding.Abort:
                _transport.Abort();
                StopLoops();
                break;
            case TransportEnding.Graceful:
                _transport.ShutdownSend();
                StopLoops();
                _transport.Dispose();
                break;
            case TransportEnding.SendCloseFrame:
                WakeWriter(inline: false);
                _ = FinishAfterCloseFrameAsync();
                break;
        }

        _disconnected.TrySetResult(disconnection);
    }

    private async Task FinishAfterCloseFrameAsync()
    {
        // The peer may not be reading; give the CLOSE frame a moment, never more. Meanwhile keep reading (and
        // discarding) until the peer's FIN: closing a socket with unread input sends RST, which can destroy the CLOSE
        // frame still in our send buffer before the peer reads it.
        // Nobody awaits this task, so whatever the transport throws must not skip the cleanup.
        using var deadline = new CancellationTokenSource(CloseFrameGrace, _time);
        try
        {
            await _closeFrameWritten.Task.WaitAsync(deadline.Token).ConfigureAwait(false);
            await _receiveLoop.WaitAsync(deadline.Token).ConfigureAwait(false);
            await DiscardUntilEndOfStreamAsync(deadline.Token).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Timed out, or the transport failed: either way the connection is over.
        }
        finally
        {
            StopLoops();
            _transport.Dispose();
        }
    }

    /// <summary>
    /// The transport's reason for an error, except that a reset before the peer's preamble arrived is a handshake that
    /// did not complete, as an end of stream there is. A TLS client that refuses the server's certificate resets the
    /// connection after the server's side of the TLS handshake has already completed, for instance.
    /// </summary>
    private (DisconnectReason Reason, string Detail) ClassifyTransportError(Exception exception) =>
        EarlyResetIsHandshakeFailure(_transport.Classify(exception));

    private (DisconnectReason Reason, string Detail) EarlyResetIsHandshakeFailure((DisconnectReason Reason, string Detail) ending)
    {
        var (reason, detail) = ending;
        return reason == DisconnectReason.PeerReset && !_handshakeDone.Task.IsCompletedSuccessfully
            ? (DisconnectReason.HandshakeFailed, $"the peer reset the connection before completing the handshake ({detail})")
            : (reason, detail);
    }

    /// <summary>
    /// Cancels the loops' pending operations. A writer that is not running is started once more, only to see the end and
    /// give up for good (so whoever waits for the CLOSE frame hears that none is coming).
    /// </summary>
    private void StopLoops()
    {
        _shutdown.Cancel();
        WakeWriter(inline: true);
    }

    private async Task DiscardUntilEndOfStreamAsync(CancellationToken cancellationToken)
    {
        var buffer = TetherMemoryPool.Arrays.Rent(16 * 1024);
        try
        {
            for (long total = 0; total < MaxDiscardAfterClose;)
            {
                var read = await _transport.ReceiveAsync(buffer, cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    return;
                }

                total += read;
            }
        }
        finally
        {
            TetherMemoryPool.Arrays.Return(buffer);
        }
    }
}
