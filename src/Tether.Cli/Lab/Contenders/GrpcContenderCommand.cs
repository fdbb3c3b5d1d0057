using System.CommandLine;
using System.Net;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Tether.Cli.Output;
using Tether.Cli.Peer;

namespace Tether.Cli.Lab.Contenders;

/// <summary>
/// <c>tether lab contender grpc listen|connect</c>: grpc-dotnet over HTTP/2 without TLS, with HTTP/2 keepalive pings
/// on both ends configured to the bound (ping after the keepalive interval of silence, give up when the answer has
/// not come by the bound). Transfers are a client-streaming upload and a server-streaming download.
/// </summary>
internal static class GrpcContenderCommand
{
    /// <summary>Creates the command.</summary>
    /// <param name="output">The JSON-lines output.</param>
    /// <returns>The command.</returns>
    public static Command Create(JsonLinesWriter output)
    {
        var command = new Command("grpc", "The 'grpc' lab contender.");
        var listenOptions = new ContenderOptions(listening: true);
        var listen = new Command("listen", "Serve until killed.");
        listenOptions.AddTo(listen);
        listen.SetAction((parse, cancellationToken) => ListenAsync(parse.GetRequiredValue(listenOptions.Endpoint), listenOptions.Liveness(parse), output, cancellationToken));
        var connectOptions = new ContenderOptions(listening: false);
        var connect = new Command("connect", "Connect, idle, transfer, hold, close.");
        connectOptions.AddTo(connect);
        connect.SetAction((parse, cancellationToken) =>
        {
            var plan = new GrpcClientPlan(
                parse.GetRequiredValue(connectOptions.Endpoint),
                connectOptions.Liveness(parse),
                parse.GetValue(connectOptions.Upload),
                parse.GetValue(connectOptions.Download),
                parse.GetValue(connectOptions.Delay) ?? TimeSpan.Zero,
                parse.GetValue(connectOptions.Hold));
            return new GrpcClientWork(plan, new PeerEvents(output)).RunAsync(cancellationToken);
        });
        command.Subcommands.Add(listen);
        command.Subcommands.Add(connect);
        return command;
    }

    /// <summary>HTTP/2 keepalive: ping after <c>keepalive</c> of silence, close if nothing came back by the bound.</summary>
    /// <param name="liveness">Keepalive and bound.</param>
    /// <returns>Ping delay and ping timeout.</returns>
    public static (TimeSpan Delay, TimeSpan Timeout) PingSettings(ContenderLiveness liveness) =>
        (liveness.Keepalive, liveness.Bound - liveness.Keepalive);

    private static async Task<int> ListenAsync(IPEndPoint endpoint, ContenderLiveness liveness, JsonLinesWriter output, CancellationToken cancellationToken)
    {
        var (delay, timeout) = PingSettings(liveness);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(endpoint, listen => listen.Protocols = HttpProtocols.Http2);
            kestrel.Limits.Http2.KeepAlivePingDelay = delay;
            kestrel.Limits.Http2.KeepAlivePingTimeout = timeout;
        });
        builder.Services.AddGrpc(grpc => grpc.MaxReceiveMessageSize = null);
        var state = new GrpcLabState(output);
        builder.Services.AddSingleton(state);
        await using var app = builder.Build();
        app.MapGrpcService<GrpcLabService>();
        await app.StartAsync(cancellationToken);
        state.Listener.Listening(endpoint);
        try
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
        catch (OperationCanceledException)
        {
        }

        await app.StopAsync(CancellationToken.None);
        return ExitCodes.Success;
    }
}

/// <summary>What the gRPC client does.</summary>
/// <param name="Endpoint">The server.</param>
/// <param name="Liveness">Keepalive and bound.</param>
/// <param name="Upload">Bytes to upload, or null.</param>
/// <param name="Download">Bytes to download, or null.</param>
/// <param name="Delay">Idle time before the transfers.</param>
/// <param name="Hold">Hold time after them; null until the connection is lost.</param>
internal sealed record GrpcClientPlan(IPEndPoint Endpoint, ContenderLiveness Liveness, long? Upload, long? Download, TimeSpan Delay, TimeSpan? Hold);

/// <summary>The connecting end of the gRPC contender, the same workflow as <c>tether peer connect</c>.</summary>
/// <param name="plan">What to do.</param>
/// <param name="events">Where to report.</param>
internal sealed class GrpcClientWork(GrpcClientPlan plan, PeerEvents events)
{
    public async Task<int> RunAsync(CancellationToken stopping)
    {
        var (delay, timeout) = GrpcContenderCommand.PingSettings(plan.Liveness);
        using var handler = new SocketsHttpHandler
        {
            KeepAlivePingDelay = delay,
            KeepAlivePingTimeout = timeout,
            KeepAlivePingPolicy = HttpKeepAlivePingPolicy.Always,
        };
        using var channel = GrpcChannel.ForAddress($"http://{plan.Endpoint}", new GrpcChannelOptions { HttpHandler = handler, MaxReceiveMessageSize = null });
        var invoker = channel.CreateCallInvoker();
        using var watch = invoker.AsyncDuplexStreamingCall(GrpcLab.Watch, null, default);
        try
        {
            await watch.ResponseHeadersAsync.WaitAsync(TimeSpan.FromSeconds(10), stopping);
        }
        catch (Exception e) when (e is RpcException or TimeoutException)
        {
            events.Error($"cannot connect: {e.Message}");
            return ExitCodes.ConnectionLost;
        }

        events.Connected(plan.Endpoint, null);
        using var closing = new CancellationTokenSource();
        var lost = WatchAsync(watch, closing.Token);
        if (!await UntilLostAsync(Task.Delay(plan.Delay, stopping), lost))
        {
            return ExitCodes.ConnectionLost;
        }

        var transfers = new List<Task<bool>>();
        if (plan.Upload is { } up)
        {
            transfers.Add(UploadAsync(invoker, up));
        }

        if (plan.Download is { } down)
        {
            transfers.Add(DownloadAsync(invoker, down));
        }

        var all = Task.WhenAll(transfers);
        if (!await UntilLostAsync(all, lost) || !all.IsCompletedSuccessfully || all.Result.Any(ok => !ok))
        {
            // A call failed because the connection died: let the watch call report that before exiting.
            await Task.WhenAny(lost, Task.Delay(plan.Liveness.Bound, CancellationToken.None));
            return ExitCodes.ConnectionLost;
        }

        events.Holding(plan.Hold);
        if (!await UntilLostAsync(Task.Delay(plan.Hold ?? Timeout.InfiniteTimeSpan, stopping), lost))
        {
            return ExitCodes.ConnectionLost;
        }

        // Orderly: end our side of the watch call, then the connection.
        await closing.CancelAsync();
        await watch.RequestStream.CompleteAsync();
        events.Disconnected("local_close");
        return ExitCodes.Success;
    }

    private static async Task<bool> UntilLostAsync(Task work, Task lost)
    {
        await Task.WhenAny(work, lost);
        return !lost.IsCompleted;
    }

    /// <summary>Completes (after reporting) when the watch call fails: gRPC's only sign that the connection is gone.</summary>
    private async Task WatchAsync(AsyncDuplexStreamingCall<byte[], byte[]> watch, CancellationToken closing)
    {
        try
        {
            while (await watch.ResponseStream.MoveNext(CancellationToken.None))
            {
            }

            events.Disconnected("peer_closed");
        }
        catch (RpcException e) when (!closing.IsCancellationRequested)
        {
            events.Disconnected(ReasonOf(e));
        }
        catch (RpcException)
        {
            // The end of our own orderly close, already reported.
        }
    }

    private static string ReasonOf(RpcException e)
    {
        var text = e.ToString();
        return text.Contains("keep alive ping", StringComparison.OrdinalIgnoreCase) || text.Contains("KeepAlive", StringComparison.OrdinalIgnoreCase) ? "dead_peer"
            : text.Contains("reset", StringComparison.OrdinalIgnoreCase) ? "peer_reset"
            : "connection_lost";
    }

    private async Task<bool> UploadAsync(CallInvoker invoker, long bytes)
    {
        using var call = invoker.AsyncClientStreamingCall(GrpcLab.Upload, null, default);
        var sent = await GrpcLab.WriteAsync(call.RequestStream, bytes, PeerProtocol.UploadSeed, events.ProgressReporter(PeerProtocol.Upload, bytes), CancellationToken.None);
        await call.RequestStream.CompleteAsync();
        var confirmed = System.Text.Encoding.UTF8.GetString(await call.ResponseAsync);
        events.Completed(PeerProtocol.Upload, bytes, confirmed == sent, longestSilence: null);
        return confirmed == sent;
    }

    private async Task<bool> DownloadAsync(CallInvoker invoker, long bytes)
    {
        var request = new byte[sizeof(long)];
        System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(request, bytes);
        using var call = invoker.AsyncServerStreamingCall(GrpcLab.Download, null, default, request);
        var (received, sha256) = await GrpcLab.ReadAsync(call.ResponseStream, events.ProgressReporter(PeerProtocol.Download, bytes), CancellationToken.None);
        var intact = received == bytes && sha256 == StreamClientWork.ExpectedSha256(bytes, PeerProtocol.DownloadSeed);
        events.Completed(PeerProtocol.Download, received, intact, longestSilence: null);
        return intact;
    }
}
