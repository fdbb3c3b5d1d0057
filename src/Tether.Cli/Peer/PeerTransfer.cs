using System.Buffers;
using System.Diagnostics;
using System.Security.Cryptography;
using Tether.Framing;

namespace Tether.Cli.Peer;

/// <summary>
/// Both ends of one payload transfer on its own channel (see <see cref="PeerProtocol"/>). Used by the listener and
/// the connector alike; the direction only names who sends. A transfer ends early only with its connection.
/// </summary>
internal static class PeerTransfer
{
    private const int ReadBufferBytes = 64 * 1024;

    /// <summary>
    /// Opens a channel, sends the header, <paramref name="bytes"/> pseudo-random bytes as one message and the trailer,
    /// then waits for the receiver's confirmation.
    /// </summary>
    /// <param name="connection">The connection.</param>
    /// <param name="direction">upload or download.</param>
    /// <param name="bytes">Payload length.</param>
    /// <param name="seed">Generator seed.</param>
    /// <param name="events">Where progress, sent, completed and error events go.</param>
    /// <returns>True when the receiver confirmed the same length and hash; false (after an error event) otherwise.</returns>
    /// <exception cref="ConnectionLostException">The connection was lost.</exception>
    /// <exception cref="PeerProtocolException">The receiver broke the protocol.</exception>
    public static async Task<bool> SendAsync(TetherConnection connection, string direction, long bytes, ulong seed, PeerEvents events)
    {
        var started = Stopwatch.GetTimestamp();
        var channel = connection.OpenChannel();
        await using (channel)
        {
            await PeerProtocol.SendAsync(channel, new ControlMessage(ControlMessage.TransferOp, direction, bytes));
            long sent;
            string sha256;
            using (var payload = new PseudoRandomStream(bytes, seed, events.ProgressReporter(direction, bytes)))
            {
                sent = await channel.SendAsync(payload);
                sha256 = payload.Sha256;
            }

            events.Sent(direction, sent, sha256);
            await PeerProtocol.SendAsync(channel, new ControlMessage(ControlMessage.SentOp, direction, sent, sha256));
            await channel.CompleteAsync();

            var reply = await PeerProtocol.ReceiveAsync(channel)
                ?? throw new PeerProtocolException($"the receiver ended the {direction} channel without confirming receipt");
            switch (reply.Op)
            {
                case ControlMessage.ReceivedOp when reply.Bytes == sent && reply.Sha256 == sha256:
                    events.Completed(direction, sent, sha256, Stopwatch.GetElapsedTime(started));
                    return true;
                case ControlMessage.ReceivedOp:
                    events.Error($"the receiver got {reply.Bytes} bytes with SHA-256 {reply.Sha256}, but {sent} bytes with SHA-256 {sha256} were sent", direction);
                    return false;
                case ControlMessage.ErrorOp:
                    events.Error($"the receiver rejected the {direction}: {reply.Message}", direction);
                    return false;
                default:
                    throw new PeerProtocolException($"unexpected '{reply.Op}' message instead of the {direction} confirmation");
            }
        }
    }

    /// <summary>
    /// Receives one transfer on a channel the peer opened: header, payload (hashed as it streams in), trailer; then
    /// confirms what arrived.
    /// </summary>
    /// <param name="channel">The channel the peer opened.</param>
    /// <param name="expectedDirection">The direction this side receives (upload on the listener, download on the connector).</param>
    /// <param name="events">Where progress, completed and error events go.</param>
    /// <returns>True when the payload arrived whole and matches the sender's trailer; false (after an error event) otherwise.</returns>
    /// <exception cref="ConnectionLostException">The connection was lost.</exception>
    public static async Task<bool> ReceiveAsync(TetherChannel channel, string expectedDirection, PeerEvents events)
    {
        ArgumentNullException.ThrowIfNull(channel);
        await using (channel)
        {
            try
            {
                return await ReceiveCoreAsync(channel, expectedDirection, events);
            }
            catch (PeerProtocolException e)
            {
                events.Error($"transfer on channel {channel.Id} failed: {e.Message}", expectedDirection);
                await PeerProtocol.SendAsync(channel, ControlMessage.Error(e.Message));
                await channel.CompleteAsync();
                return false;
            }
        }
    }

    private static async Task<bool> ReceiveCoreAsync(TetherChannel channel, string direction, PeerEvents events)
    {
        var started = Stopwatch.GetTimestamp();
        var header = await PeerProtocol.ReceiveAsync(channel);
        if (header is not { Op: ControlMessage.TransferOp, Bytes: long total } || total < 0 || header.Direction != direction)
        {
            throw new PeerProtocolException($"expected a {direction} header ({{\"op\":\"transfer\",\"direction\":\"{direction}\",\"bytes\":N}}), got {(header is null ? "the end of the channel" : $"'{header.Op}' ({header.Direction}, {header.Bytes})")}");
        }

        var payload = await channel.ReceiveStreamAsync()
            ?? throw new PeerProtocolException($"the channel ended before the {direction} payload");
        long received = 0;
        string sha256;
        var progress = events.ProgressReporter(direction, total);
        await using (payload)
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var buffer = ArrayPool<byte>.Shared.Rent(ReadBufferBytes);
            try
            {
                int read;
                while ((read = await payload.ReadAsync(buffer.AsMemory(0, ReadBufferBytes))) > 0)
                {
                    hash.AppendData(buffer, 0, read);
                    received += read;
                    progress(received);
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }

            sha256 = Convert.ToHexStringLower(hash.GetHashAndReset());
        }

        var trailer = await PeerProtocol.ReceiveAsync(channel);

        // Confirm what actually arrived, whatever it is: the sender compares it with what it sent.
        await PeerProtocol.SendAsync(channel, new ControlMessage(ControlMessage.ReceivedOp, direction, received, sha256));
        await channel.CompleteAsync();

        if (trailer is { Op: ControlMessage.SentOp } sent && sent.Bytes == received && sent.Sha256 == sha256 && received == total)
        {
            events.Completed(direction, received, sha256, Stopwatch.GetElapsedTime(started));
            return true;
        }

        events.Error(
            $"received {received} bytes with SHA-256 {sha256}, but the sender announced {total} bytes and reported {trailer?.Bytes} bytes with SHA-256 {trailer?.Sha256}",
            direction);
        return false;
    }
}
