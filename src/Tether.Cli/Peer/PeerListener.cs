using System.Net;
using System.Net.Sockets;
using Tether.Cli.Output;
using Tether.Framing;
using Tether.Hosting;

namespace Tether.Cli.Peer;

/// <summary>
/// <c>tether peer listen</c>: accepts connections until stopped (SIGINT/SIGTERM) and serves each one — receives
/// uploads, sends requested downloads, and with <c>--echo</c> echoes application messages on the default channel.
/// Work on a connection takes no cancellation token: stopping closes the connection, which ends it all.
/// </summary>
/// <param name="endpoint">Where to listen.</param>
/// <param name="echo">Echo default-channel messages that are not control requests.</param>
/// <param name="options">Options for every accepted connection.</param>
/// <param name="output">The JSON-lines output.</param>
internal sealed class PeerListener(IPEndPoint endpoint, bool echo, TetherConnectionOptions options, JsonLinesWriter output)
{
    /// <summary>How long shutting down waits for each connection's orderly close before aborting it.</summary>
    private static readonly TimeSpan ShutdownCloseTimeout = TimeSpan.FromSeconds(2);

    private readonly BackgroundTasks _connections = new();
    private long _lastConnectionId;

    /// <summary>Listens and serves until <paramref name="stopping"/> fires, then closes every connection in order.</summary>
    /// <param name="stopping">Fires on SIGINT/SIGTERM.</param>
    /// <returns>The exit code.</returns>
    public async Task<int> RunAsync(CancellationToken stopping)
    {
        var events = new PeerEvents(output);
        TetherListener listener;
        try
        {
            listener = TetherListener.Start(endpoint, options);
        }
        catch (SocketException e)
        {
            events.Error($"cannot listen on {endpoint}: {e.Message} ({e.SocketErrorCode})");
            return ExitCodes.Error;
        }

        await using (listener)
        {
            events.Listening(listener.LocalEndPoint);
            while (true)
            {
                TetherConnection connection;
                try
                {
                    connection = await listener.AcceptAsync(stopping);
                }
                catch (OperationCanceledException) when (stopping.IsCancellationRequested)
                {
                    break;
                }

                var id = Interlocked.Increment(ref _lastConnectionId);
                _connections.Add(ServeAsync(connection, new PeerEvents(output, id), stopping));
            }
        }

        await _connections.WhenAll();
        return ExitCodes.Success;
    }

    /// <summary>Serves one connection until it ends, or closes it in order when the listener stops.</summary>
    private async Task ServeAsync(TetherConnection connection, PeerEvents events, CancellationToken stopping)
    {
        await using (connection)
        {
            events.Connected(connection);
            var reported = ReportDisconnectionAsync(connection, events);
            var transfers = new BackgroundTasks();
            var control = RunDefaultChannelAsync(connection, events, transfers, stopping);
            var uploads = AcceptUploadsAsync(connection, events, transfers, stopping);

            await Task.WhenAny(connection.Disconnected, Task.Delay(Timeout.Infinite, stopping));
            if (!connection.Disconnected.IsCompleted)
            {
                // Shutting down: close in order (pending transfers fail), but never let one unresponsive peer hold
                // up the exit.
                using var abortAfter = new CancellationTokenSource(ShutdownCloseTimeout);
                try
                {
                    await connection.CloseAsync(abortAfter.Token);
                }
                catch (OperationCanceledException)
                {
                }
            }

            await Task.WhenAll(control, uploads);
            await transfers.WhenAll();
            await reported;
        }
    }

    private static async Task ReportDisconnectionAsync(TetherConnection connection, PeerEvents events) =>
        events.Disconnected(await connection.Disconnected, connection);

    /// <summary>Serves the default channel: download requests, and echo (or discard) of everything else.</summary>
    private async Task RunDefaultChannelAsync(TetherConnection connection, PeerEvents events, BackgroundTasks transfers, CancellationToken stopping)
    {
        var channel = connection.DefaultChannel;
        try
        {
            while (await channel.ReceiveAsync(CancellationToken.None) is { } message)
            {
                using (message)
                {
                    if (PeerProtocol.TryDecode(message.Payload, out var request) && request.Op == ControlMessage.DownloadOp)
                    {
                        await StartDownloadAsync(connection, request, events, transfers, stopping);
                    }
                    else if (echo)
                    {
                        // The payload stays valid until the message is disposed, i.e. after the echo was written.
                        await channel.SendAsync(message.Payload, CancellationToken.None);
                    }
                }
            }
        }
        catch (Exception e) when (PeerFailures.IsEndOfConnection(e, connection, stopping))
        {
        }
        catch (Exception e)
        {
            events.Error($"default channel: {e.Message}");
            connection.Abort($"tether peer: default channel failed: {e.Message}");
        }
    }

    private static async Task StartDownloadAsync(TetherConnection connection, ControlMessage request, PeerEvents events, BackgroundTasks transfers, CancellationToken stopping)
    {
        var limit = connection.PeerHandshake.MaxMessageSize;
        var refusal = request.Bytes switch
        {
            null or < 0 => "a download request needs a non-negative \"bytes\"",
            { } n when n > limit => $"a download of {n} bytes exceeds the {limit} bytes the connector accepts in one message",
            _ => null,
        };
        if (refusal is not null)
        {
            events.Error($"refused download request: {refusal}", PeerProtocol.Download);
            await PeerProtocol.SendAsync(connection.DefaultChannel, ControlMessage.Error(refusal));
            return;
        }

        var bytes = request.Bytes!.Value;
        transfers.Add(GuardAsync(
            () => PeerTransfer.SendAsync(connection, PeerProtocol.Download, bytes, PeerProtocol.DownloadSeed, events),
            connection,
            events,
            PeerProtocol.Download,
            stopping));
    }

    /// <summary>Every channel the connector opens carries one upload.</summary>
    private static async Task AcceptUploadsAsync(TetherConnection connection, PeerEvents events, BackgroundTasks transfers, CancellationToken stopping)
    {
        try
        {
            while (true)
            {
                var channel = await connection.AcceptChannelAsync(CancellationToken.None);
                transfers.Add(GuardAsync(
                    () => PeerTransfer.ReceiveAsync(channel, PeerProtocol.Upload, events),
                    connection,
                    events,
                    PeerProtocol.Upload,
                    stopping));
            }
        }
        catch (Exception e) when (PeerFailures.IsEndOfConnection(e, connection, stopping))
        {
        }
    }

    /// <summary>Runs a transfer; failures other than the connection's end become <c>error</c> events.</summary>
    private static async Task GuardAsync(Func<Task<bool>> transfer, TetherConnection connection, PeerEvents events, string direction, CancellationToken stopping)
    {
        try
        {
            await transfer();
        }
        catch (Exception e) when (PeerFailures.IsEndOfConnection(e, connection, stopping))
        {
        }
        catch (Exception e)
        {
            events.Error($"{direction} failed: {e.Message}", direction);
        }
    }
}
