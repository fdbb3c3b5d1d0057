using System.Security.Cryptography;
using Grpc.Core;
using Tether.Cli.Peer;

namespace Tether.Cli.Lab.Contenders;

/// <summary>
/// The gRPC contender's three methods, described by hand with byte-array marshallers (no .proto, no code generation):
/// <c>Upload</c> (client streaming: chunks in, SHA-256 out), <c>Download</c> (server streaming: an 8-byte length in,
/// chunks out) and <c>Watch</c> (bidirectional, held open for the connection's life: the only way an application
/// learns that gRPC's keepalive gave up on the connection).
/// </summary>
internal static class GrpcLab
{
    /// <summary>Bytes per streamed message.</summary>
    public const int ChunkSize = 16 * 1024;

    private const string Service = "tether.lab.Lab";
    private static readonly Marshaller<byte[]> Bytes = Marshallers.Create(static b => b, static b => b);

    /// <summary>Client streaming upload.</summary>
    public static Method<byte[], byte[]> Upload { get; } = new(MethodType.ClientStreaming, Service, nameof(Upload), Bytes, Bytes);

    /// <summary>Server streaming download.</summary>
    public static Method<byte[], byte[]> Download { get; } = new(MethodType.ServerStreaming, Service, nameof(Download), Bytes, Bytes);

    /// <summary>The connection's watch call.</summary>
    public static Method<byte[], byte[]> Watch { get; } = new(MethodType.DuplexStreaming, Service, nameof(Watch), Bytes, Bytes);

    /// <summary>Writes <paramref name="bytes"/> pseudo-random bytes as messages; returns their SHA-256 (hex).</summary>
    /// <param name="stream">Where to write.</param>
    /// <param name="bytes">How many.</param>
    /// <param name="seed">The generator seed.</param>
    /// <param name="report">Progress callback.</param>
    /// <param name="cancellationToken">Stops the stream.</param>
    /// <returns>The hash.</returns>
    public static async Task<string> WriteAsync(IAsyncStreamWriter<byte[]> stream, long bytes, ulong seed, Action<long> report, CancellationToken cancellationToken)
    {
        using var source = new PseudoRandomStream(bytes, seed);
        long sent = 0;
        while (sent < bytes)
        {
            var chunk = new byte[Math.Min(ChunkSize, bytes - sent)];
            await source.ReadExactlyAsync(chunk, cancellationToken);
            await stream.WriteAsync(chunk, cancellationToken);
            sent += chunk.Length;
            report(sent);
        }

        return source.Sha256;
    }

    /// <summary>Reads messages to the end; returns the byte count and SHA-256 (hex).</summary>
    /// <param name="stream">Where to read.</param>
    /// <param name="report">Progress callback.</param>
    /// <param name="cancellationToken">Stops the read.</param>
    /// <returns>Bytes and hash.</returns>
    public static async Task<(long Bytes, string Sha256)> ReadAsync(IAsyncStreamReader<byte[]> stream, Action<long> report, CancellationToken cancellationToken)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long received = 0;
        while (await stream.MoveNext(cancellationToken))
        {
            hash.AppendData(stream.Current);
            received += stream.Current.Length;
            report(received);
        }

        return (received, Convert.ToHexStringLower(hash.GetHashAndReset()));
    }
}

/// <summary>What every call of the listening end shares: the output and the connection numbering.</summary>
/// <param name="output">The JSON-lines output.</param>
internal sealed class GrpcLabState(Output.JsonLinesWriter output)
{
    private long _connections;

    /// <summary>Events for a new connection (one <c>Watch</c> call per client connection).</summary>
    /// <returns>The events, numbered.</returns>
    public PeerEvents NextConnection() => new(output, Interlocked.Increment(ref _connections));

    /// <summary>Events about the listener itself.</summary>
    public PeerEvents Listener { get; } = new(output);
}

/// <summary>
/// The service as generated code would declare it: ASP.NET Core finds each method by name and accepts it only as an
/// override of a method declared on the type that holds <see cref="BindService"/>.
/// </summary>
[BindServiceMethod(typeof(GrpcLabServiceBase), nameof(BindService))]
internal abstract class GrpcLabServiceBase
{
    /// <summary>Registers the methods.</summary>
    /// <param name="binder">The binder.</param>
    /// <param name="service">The instance (null when ASP.NET Core only discovers the methods).</param>
    public static void BindService(ServiceBinderBase binder, GrpcLabServiceBase? service)
    {
        ArgumentNullException.ThrowIfNull(binder);
        binder.AddMethod(GrpcLab.Upload, service is null ? null : service.Upload);
        binder.AddMethod(GrpcLab.Download, service is null ? null : service.Download);
        binder.AddMethod(GrpcLab.Watch, service is null ? null : service.Watch);
    }

    /// <summary>Client streaming upload.</summary>
    /// <param name="requests">The chunks.</param>
    /// <param name="context">The call.</param>
    /// <returns>The answer.</returns>
    public abstract Task<byte[]> Upload(IAsyncStreamReader<byte[]> requests, ServerCallContext context);

    /// <summary>Server streaming download.</summary>
    /// <param name="request">The request.</param>
    /// <param name="responses">The chunks.</param>
    /// <param name="context">The call.</param>
    /// <returns>A task.</returns>
    public abstract Task Download(byte[] request, IServerStreamWriter<byte[]> responses, ServerCallContext context);

    /// <summary>The connection's watch call.</summary>
    /// <param name="requests">The client's side.</param>
    /// <param name="responses">The server's side.</param>
    /// <param name="context">The call.</param>
    /// <returns>A task.</returns>
    public abstract Task Watch(IAsyncStreamReader<byte[]> requests, IServerStreamWriter<byte[]> responses, ServerCallContext context);
}

/// <summary>The listening end's implementation.</summary>
/// <param name="state">Shared state.</param>
internal sealed class GrpcLabService(GrpcLabState state) : GrpcLabServiceBase
{
    /// <summary>Receives an upload; answers with its hash.</summary>
    /// <param name="requests">The chunks.</param>
    /// <param name="context">The call.</param>
    /// <returns>The SHA-256 (hex, UTF-8).</returns>
    public override async Task<byte[]> Upload(IAsyncStreamReader<byte[]> requests, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var (bytes, sha256) = await GrpcLab.ReadAsync(requests, state.Listener.ProgressReporter(PeerProtocol.Upload, 0), context.CancellationToken);
        state.Listener.Completed(PeerProtocol.Upload, bytes, intact: null, longestSilence: null);
        return System.Text.Encoding.UTF8.GetBytes(sha256);
    }

    /// <summary>Serves a download of the requested length.</summary>
    /// <param name="request">The length, 8 bytes big-endian.</param>
    /// <param name="responses">Where the chunks go.</param>
    /// <param name="context">The call.</param>
    /// <returns>A task that completes when all was sent.</returns>
    public override async Task Download(byte[] request, IServerStreamWriter<byte[]> responses, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var bytes = System.Buffers.Binary.BinaryPrimitives.ReadInt64BigEndian(request);
        await GrpcLab.WriteAsync(responses, bytes, PeerProtocol.DownloadSeed, state.Listener.ProgressReporter(PeerProtocol.Download, bytes), context.CancellationToken);
    }

    /// <summary>Holds the connection's watch call until the client ends it or the connection dies.</summary>
    /// <param name="requests">The client's side: completed by an orderly client.</param>
    /// <param name="responses">Unused but for the headers.</param>
    /// <param name="context">The call.</param>
    /// <returns>A task that ends with the connection.</returns>
    public override async Task Watch(IAsyncStreamReader<byte[]> requests, IServerStreamWriter<byte[]> responses, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(requests);
        ArgumentNullException.ThrowIfNull(context);
        var events = state.NextConnection();
        events.Connected(null, null);
        await context.WriteResponseHeadersAsync([]);
        try
        {
            while (await requests.MoveNext(context.CancellationToken))
            {
            }

            events.Disconnected("peer_closed");
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or InvalidOperationException)
        {
            // Kestrel aborts the connection (keepalive ping timeout, reset): the call is cancelled without a reason.
            events.Disconnected("connection_aborted");
        }
    }
}
