using System.Net;
using System.Net.Sockets;
using Tether.Cli.Output;
using Tether.Framing;
using Tether.Hosting;

namespace Tether.Cli.Peer;

/// <summary>What <c>tether peer connect</c> was asked to do.</summary>
/// <param name="Endpoint">The listener.</param>
/// <param name="Upload">Bytes to upload, or null.</param>
/// <param name="Download">Bytes to download, or null.</param>
/// <param name="Hold">How long to keep the connection idle after the transfers; null until the peer goes away.</param>
/// <param name="ConnectTimeout">Bound on TCP connect plus handshake.</param>
/// <param name="Delay">How long to keep the new connection idle before the transfers.</param>
internal sealed record PeerConnectRequest(IPEndPoint Endpoint, long? Upload, long? Download, TimeSpan? Hold, TimeSpan ConnectTimeout, TimeSpan Delay = default);

/// <summary>
/// <c>tether peer connect</c>: connects, runs the requested upload and download concurrently, holds the connection,
/// closes it, and maps the outcome to the exit code (see <see cref="PeerCommand"/> for the rules).
/// </summary>
/// <param name="request">What to do.</param>
/// <param name="options">Connection options.</param>
/// <param name="output">The JSON-lines output.</param>
internal sealed class PeerConnector(PeerConnectRequest request, TetherConnectionOptions options, JsonLinesWriter output) : IDisposable
{
    /// <summary>How long an interrupted connector waits for its orderly close before aborting.</summary>
    private static readonly TimeSpan InterruptCloseTimeout = TimeSpan.FromSeconds(2);

    private readonly PeerEvents _events = new(output);

    /// <summary>Fired when this side decides to close: failures that follow from it are not errors.</summary>
    private readonly CancellationTokenSource _closing = new();

    private enum WorkOutcome
    {
        Completed,
        Failed,
        Lost,
        Interrupted,
    }

    /// <summary>Runs the whole session.</summary>
    /// <param name="stopping">Fires on SIGINT/SIGTERM.</param>
    /// <returns>The exit code.</returns>
    public async Task<int> RunAsync(CancellationToken stopping)
    {
        var connection = await ConnectAsync(stopping);
        if (connection is null)
        {
            return stopping.IsCancellationRequested ? ExitCodes.Interrupted : ExitCodes.ConnectionLost;
        }

        await using (connection)
        {
            _events.Connected(connection);

            // Report the end the moment the library declares it, not when the workflow below notices.
            var reported = ReportDisconnectionAsync(connection);
            var outcome = await IdleAsync(connection, stopping) ?? await RunTransfersAsync(connection, stopping);
            switch (outcome)
            {
                case WorkOutcome.Lost:
                    await reported;
                    return ExitCodes.ConnectionLost;
                case WorkOutcome.Failed:
                    await CloseAsync(connection, bound: null);
                    await reported;
                    return ExitCodes.ConnectionLost;
                case WorkOutcome.Interrupted:
                    await CloseAsync(connection, InterruptCloseTimeout);
                    await reported;
                    return ExitCodes.Interrupted;
                default:
                    return await HoldAndCloseAsync(connection, reported, stopping);
            }
        }
    }

    /// <inheritdoc />
    public void Dispose() => _closing.Dispose();

    private async Task<TetherConnection?> ConnectAsync(CancellationToken stopping)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        timeout.CancelAfter(request.ConnectTimeout);
        try
        {
            return await TetherConnector.ConnectAsync(request.Endpoint, options, timeout.Token);
        }
        catch (SocketException e)
        {
            _events.Error($"cannot connect to {request.Endpoint}: {e.Message} ({e.SocketErrorCode})");
        }
        catch (ConnectionLostException e)
        {
            // The TCP connection was made but the handshake failed: that is a disconnection with a reason.
            _events.Disconnected(e.Disconnection, null);
        }
        catch (OperationCanceledException) when (!stopping.IsCancellationRequested)
        {
            _events.Error($"cannot connect to {request.Endpoint}: no connection within {request.ConnectTimeout.TotalSeconds:0.###} s");
        }
        catch (OperationCanceledException)
        {
        }

        return null;
    }

    private async Task<Disconnection> ReportDisconnectionAsync(TetherConnection connection)
    {
        var disconnection = await connection.Disconnected;
        _events.Disconnected(disconnection, connection);
        return disconnection;
    }

    /// <summary>Keeps the connection idle for the requested delay; returns an outcome only when that ended the work.</summary>
    private async Task<WorkOutcome?> IdleAsync(TetherConnection connection, CancellationToken stopping)
    {
        if (request.Delay <= TimeSpan.Zero)
        {
            return null;
        }

        await Task.WhenAny(Task.Delay(request.Delay, stopping), connection.Disconnected);
        return connection.Disconnected.IsCompleted ? WorkOutcome.Lost
            : stopping.IsCancellationRequested ? WorkOutcome.Interrupted
            : null;
    }

    private async Task<WorkOutcome> RunTransfersAsync(TetherConnection connection, CancellationToken stopping)
    {
        var peerError = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _ = WatchDefaultChannelAsync(connection, peerError);

        List<Task<bool>> transfers = [];
        if (request.Upload is { } upload)
        {
            transfers.Add(GuardAsync(
                () => PeerTransfer.SendAsync(connection, PeerProtocol.Upload, upload, PeerProtocol.UploadSeed, _events),
                connection,
                PeerProtocol.Upload));
        }

        if (request.Download is { } download)
        {
            transfers.Add(GuardAsync(() => DownloadAsync(connection, download), connection, PeerProtocol.Download));
        }

        var all = Task.WhenAll(transfers);

        // The connection's end settles the outcome at once, even if an operation were slow to notice it.
        await Task.WhenAny(all, peerError.Task, connection.Disconnected, Task.Delay(Timeout.Infinite, stopping));
        if (all.IsCompletedSuccessfully && all.Result.All(static ok => ok))
        {
            return WorkOutcome.Completed;
        }

        if (connection.Disconnected.IsCompleted)
        {
            return WorkOutcome.Lost;
        }

        return stopping.IsCancellationRequested ? WorkOutcome.Interrupted : WorkOutcome.Failed;
    }

    private async Task<bool> DownloadAsync(TetherConnection connection, long bytes)
    {
        await PeerProtocol.SendAsync(connection.DefaultChannel, new ControlMessage(ControlMessage.DownloadOp, Bytes: bytes));

        // The listener opens one channel per download; this side opens none for the listener to send on.
        var channel = await connection.AcceptChannelAsync();
        return await PeerTransfer.ReceiveAsync(channel, PeerProtocol.Download, _events);
    }

    /// <summary>Reads the default channel: the listener reports refused requests there; anything else is ignored.</summary>
    private async Task WatchDefaultChannelAsync(TetherConnection connection, TaskCompletionSource peerError)
    {
        try
        {
            while (await connection.DefaultChannel.ReceiveAsync() is { } received)
            {
                using (received)
                {
                    if (PeerProtocol.TryDecode(received.Payload, out var message) && message.Op == ControlMessage.ErrorOp)
                    {
                        _events.Error($"the listener refused a request: {message.Message}");
                        peerError.TrySetResult();
                    }
                }
            }
        }
        catch (Exception e) when (PeerFailures.IsEndOfConnection(e, connection, _closing.Token))
        {
        }
        catch (Exception e)
        {
            _events.Error($"default channel: {e.Message}");
            peerError.TrySetResult();
        }
    }

    private async Task<bool> GuardAsync(Func<Task<bool>> transfer, TetherConnection connection, string direction)
    {
        try
        {
            return await transfer();
        }
        catch (Exception e) when (PeerFailures.IsEndOfConnection(e, connection, _closing.Token))
        {
            return false;
        }
        catch (Exception e)
        {
            _events.Error($"{direction} failed: {e.Message}", direction);
            return false;
        }
    }

    private async Task<int> HoldAndCloseAsync(TetherConnection connection, Task<Disconnection> reported, CancellationToken stopping)
    {
        _events.Holding(request.Hold);
        var holdOver = Task.Delay(request.Hold ?? Timeout.InfiniteTimeSpan, stopping);
        await Task.WhenAny(holdOver, connection.Disconnected);
        if (connection.Disconnected.IsCompleted)
        {
            // The peer went away first. Without a bounded hold that is the expected end, if it was orderly.
            var ended = await reported;
            return request.Hold is null && ended.Reason == DisconnectReason.PeerClosed ? ExitCodes.Success : ExitCodes.ConnectionLost;
        }

        // The hold ran out (or we were interrupted after the work was done): close in order.
        await CloseAsync(connection, stopping.IsCancellationRequested ? InterruptCloseTimeout : null);
        var disconnection = await reported;
        return disconnection.Reason == DisconnectReason.LocalClose ? ExitCodes.Success : ExitCodes.ConnectionLost;
    }

    /// <summary>Closes in order; aborts after <paramref name="bound"/> (null: only the library's CloseTimeout applies).</summary>
    private async Task CloseAsync(TetherConnection connection, TimeSpan? bound)
    {
        await _closing.CancelAsync();
        using var abort = bound is { } b ? new CancellationTokenSource(b) : new CancellationTokenSource();
        try
        {
            await connection.CloseAsync(abort.Token);
        }
        catch (OperationCanceledException)
        {
        }
    }
}
