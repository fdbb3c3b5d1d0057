using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using Tether.Cli.Output;
using Tether.Cli.Peer;

namespace Tether.Cli.Lab.Contenders;

/// <summary>What distinguishes the plain-socket contenders.</summary>
/// <param name="Name">The contender's name.</param>
/// <param name="KernelKeepalive">Turn on SO_KEEPALIVE with the system's defaults (2 h idle on Linux).</param>
/// <param name="Seed2005">Run the 2005 Buildbot keepalive (<see cref="SeedKeepalive"/>) with the bound.</param>
internal sealed record StreamFlavor(string Name, bool KernelKeepalive, bool Seed2005)
{
    /// <summary>Every flavour the CLI offers.</summary>
    public static IReadOnlyList<StreamFlavor> All { get; } =
    [
        new("tcp", KernelKeepalive: false, Seed2005: false),
        new("tcp-keepalive", KernelKeepalive: true, Seed2005: false),
        new("seed-2005", KernelKeepalive: false, Seed2005: true),
    ];
}

/// <summary>
/// <c>tether lab contender NAME listen|connect</c> for the plain-socket contenders: the same options and events as
/// <c>tether peer</c>, over <see cref="StreamWire"/>. Hidden: only the lab starts these.
/// </summary>
internal static class StreamContenderCommand
{
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Creates the command for one flavour.</summary>
    /// <param name="flavor">The flavour.</param>
    /// <param name="output">The JSON-lines output.</param>
    /// <returns>The command.</returns>
    public static Command Create(StreamFlavor flavor, JsonLinesWriter output)
    {
        var command = new Command(flavor.Name, $"The '{flavor.Name}' lab contender.");
        command.Subcommands.Add(CreateListen(flavor, output));
        command.Subcommands.Add(CreateConnect(flavor, output));
        return command;
    }

    private static Command CreateListen(StreamFlavor flavor, JsonLinesWriter output)
    {
        var options = new ContenderOptions(listening: true);
        var command = new Command("listen", "Accept connections until killed.");
        options.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var listener = new Socket(SocketType.Stream, ProtocolType.Tcp);
            listener.Bind(parse.GetRequiredValue(options.Endpoint));
            listener.Listen();
            new PeerEvents(output).Listening((IPEndPoint)listener.LocalEndPoint!);
            var settings = options.Liveness(parse);
            long connections = 0;
            try
            {
                while (true)
                {
                    var socket = await listener.AcceptAsync(cancellationToken);
                    _ = ServeAsync(flavor, socket, settings, new PeerEvents(output, ++connections));
                }
            }
            catch (OperationCanceledException)
            {
                return ExitCodes.Success;
            }
        });
        return command;
    }

    private static Command CreateConnect(StreamFlavor flavor, JsonLinesWriter output)
    {
        var options = new ContenderOptions(listening: false);
        var command = new Command("connect", "Connect, idle, transfer, hold, close.");
        options.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var events = new PeerEvents(output);
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(ConnectTimeout);
            try
            {
                await socket.ConnectAsync(parse.GetRequiredValue(options.Endpoint), timeout.Token);
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException)
            {
                events.Error($"cannot connect: {e.Message}");
                socket.Dispose();
                return ExitCodes.ConnectionLost;
            }

            await using var session = Open(flavor, socket, options.Liveness(parse), events);
            var work = new StreamClientWork(session, events, parse.GetValue(options.Upload), parse.GetValue(options.Download));
            return await work.RunAsync(parse.GetValue(options.Delay) ?? TimeSpan.Zero, parse.GetValue(options.Hold), cancellationToken);
        });
        return command;
    }

    /// <summary>Configures the socket, reports the connection, starts reading and the flavour's keepalive.</summary>
    private static StreamSession Open(StreamFlavor flavor, Socket socket, ContenderLiveness liveness, PeerEvents events)
    {
        socket.NoDelay = true;
        socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, flavor.KernelKeepalive);
        events.Connected(socket.RemoteEndPoint, socket.LocalEndPoint);
        var session = new StreamSession(socket, events);
        _ = session.RunAsync();
        if (flavor.Seed2005)
        {
            _ = new SeedKeepalive(session, liveness.Keepalive, liveness.Bound).RunAsync();
        }

        return session;
    }

    private static async Task ServeAsync(StreamFlavor flavor, Socket socket, ContenderLiveness liveness, PeerEvents events)
    {
        await using var session = Open(flavor, socket, liveness, events);
        session.BulkReceived += (kind, bytes, sha256, silence) =>
        {
            events.Completed(PeerProtocol.Upload, bytes, intact: null, silence);
            _ = Quietly(session.SendAsync(StreamMessageKind.Ack, Convert.FromHexString(sha256)));
        };
        session.MessageReceived += (kind, payload) =>
        {
            if (kind == StreamMessageKind.DownloadRequest && payload.Length == sizeof(long))
            {
                var bytes = System.Buffers.Binary.BinaryPrimitives.ReadInt64BigEndian(payload.Span);
                _ = Quietly(session.SendBulkAsync(StreamMessageKind.Download, bytes, PeerProtocol.DownloadSeed, PeerProtocol.Download));
            }
        };
        await session.Ended;
    }

    /// <summary>Awaits a send whose failure the session already reports as the connection's end.</summary>
    internal static async Task Quietly(Task send)
    {
        try
        {
            await send;
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
        {
        }
    }
}
