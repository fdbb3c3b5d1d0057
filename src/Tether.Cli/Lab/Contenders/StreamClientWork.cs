using System.Buffers.Binary;
using Tether.Cli.Peer;

namespace Tether.Cli.Lab.Contenders;

/// <summary>
/// The connecting side's workflow for the plain-socket contenders, mirroring <c>tether peer connect</c>: idle, upload
/// and download at once, hold, close in order; exit 0 when everything completed intact and the close was ours.
/// </summary>
/// <param name="session">The connection.</param>
/// <param name="events">Where to report.</param>
/// <param name="upload">Bytes to upload, or null.</param>
/// <param name="download">Bytes to download, or null.</param>
internal sealed class StreamClientWork(StreamSession session, PeerEvents events, long? upload, long? download)
{
    private readonly TaskCompletionSource<string> _ack = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<(string Sha256, double Silence)> _downloaded = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Runs the workflow.</summary>
    /// <param name="delay">Idle time before the transfers.</param>
    /// <param name="hold">Hold time after them; null until the peer goes away.</param>
    /// <param name="stopping">SIGINT/SIGTERM.</param>
    /// <returns>The exit code.</returns>
    public async Task<int> RunAsync(TimeSpan delay, TimeSpan? hold, CancellationToken stopping)
    {
        session.MessageReceived += (kind, payload) =>
        {
            if (kind == StreamMessageKind.Ack)
            {
                _ack.TrySetResult(Convert.ToHexStringLower(payload.Span));
            }
        };
        session.BulkReceived += (kind, _, sha256, silence) => _downloaded.TrySetResult((sha256, silence));

        if (!await UntilEndAsync(Task.Delay(delay, stopping)))
        {
            return ExitCodes.ConnectionLost;
        }

        var transfers = new List<Task<bool>>();
        if (upload is { } up)
        {
            transfers.Add(UploadAsync(up));
        }

        if (download is { } down)
        {
            transfers.Add(DownloadAsync(down));
        }

        var all = Task.WhenAll(transfers);
        if (!await UntilEndAsync(all) || all.Result.Any(ok => !ok))
        {
            return ExitCodes.ConnectionLost;
        }

        events.Holding(hold);
        if (!await UntilEndAsync(Task.Delay(hold ?? Timeout.InfiniteTimeSpan, stopping)))
        {
            return ExitCodes.ConnectionLost;
        }

        session.Close("local_close");
        return ExitCodes.Success;
    }

    /// <summary>Waits for <paramref name="work"/> unless the connection ends first; false when it did.</summary>
    private async Task<bool> UntilEndAsync(Task work)
    {
        await Task.WhenAny(work, session.Ended);
        return !session.Ended.IsCompleted;
    }

    private async Task<bool> UploadAsync(long bytes)
    {
        var sent = await session.SendBulkAsync(StreamMessageKind.Upload, bytes, PeerProtocol.UploadSeed, PeerProtocol.Upload);
        var confirmed = await _ack.Task;
        events.Completed(PeerProtocol.Upload, bytes, confirmed == sent, longestSilence: null);
        return confirmed == sent;
    }

    private async Task<bool> DownloadAsync(long bytes)
    {
        var request = new byte[sizeof(long)];
        BinaryPrimitives.WriteInt64BigEndian(request, bytes);
        await session.SendAsync(StreamMessageKind.DownloadRequest, request);
        var (received, silence) = await _downloaded.Task;
        var intact = received == ExpectedSha256(bytes, PeerProtocol.DownloadSeed);
        events.Completed(PeerProtocol.Download, bytes, intact, silence);
        return intact;
    }

    /// <summary>The SHA-256 (hex) of the pseudo-random payload a listener sends for a download.</summary>
    /// <param name="bytes">Its length.</param>
    /// <param name="seed">Its seed.</param>
    /// <returns>The hash.</returns>
    internal static string ExpectedSha256(long bytes, ulong seed)
    {
        using var expected = new PseudoRandomStream(bytes, seed);
        expected.CopyTo(Stream.Null);
        return expected.Sha256;
    }
}
