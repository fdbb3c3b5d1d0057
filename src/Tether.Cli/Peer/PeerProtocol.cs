using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using Tether.Framing;

namespace Tether.Cli.Peer;

/// <summary>
/// The small application protocol <c>tether peer</c> speaks on top of Tether channels.
/// </summary>
/// <remarks>
/// <para>
/// <b>Control messages</b> are single Tether messages holding one UTF-8 JSON object with an <c>"op"</c> member, at most
/// <see cref="MaxControlMessageBytes"/> long. Unknown members are ignored.
/// </para>
/// <para>
/// <b>Default channel (0).</b> The connector asks for a download with <c>{"op":"download","bytes":N}</c>; the listener
/// answers a request it cannot serve with <c>{"op":"error","message":"..."}</c>. Any other message on the default
/// channel is application data: a listener started with <c>--echo</c> sends it straight back as one message (held in
/// memory meanwhile, up to the listener's maximum message size), otherwise it is discarded.
/// </para>
/// <para>
/// <b>Transfers.</b> Each payload travels on its own channel, opened by the side that sends it (so upload and download
/// run concurrently, and chunking, interleaving and flow control are the library's). On that channel the sender
/// sends, in order: the header <c>{"op":"transfer","direction":"upload"|"download","bytes":N}</c>; the payload as one
/// message of N pseudo-random bytes (a seeded xorshift generator, hashed with SHA-256 as it is produced, sent with the
/// stream send so it is chunked); the trailer <c>{"op":"sent","direction":...,"bytes":N,"sha256":"hex"}</c>; then it
/// completes its side of the channel. The receiver reads the payload as a stream, hashing it incrementally, checks
/// length and hash against the header and trailer, and answers on the same channel with
/// <c>{"op":"received","direction":...,"bytes":N,"sha256":"hex of what it received"}</c> (or <c>{"op":"error",...}</c>
/// if the transfer broke the protocol), then completes its side. The sender reports the transfer completed only when
/// the receiver's byte count and hash match its own, so "completed" on the sending side means delivered, not written.
/// Directions are named from the connector's point of view: "upload" is connector to listener.
/// </para>
/// <para>
/// <b>Stopping.</b> Protocol operations take no cancellation token: everything on a connection ends with the
/// connection, and both commands stop by closing (or aborting) it, which fails every pending send and receive with
/// the disconnection's reason. (This also keeps long-lived tokens away from the library's cancellable sends.)
/// </para>
/// </remarks>
internal static class PeerProtocol
{
    /// <summary>Largest control message either side reads.</summary>
    public const int MaxControlMessageBytes = 64 * 1024;

    /// <summary>Direction name for connector-to-listener payloads.</summary>
    public const string Upload = "upload";

    /// <summary>Direction name for listener-to-connector payloads.</summary>
    public const string Download = "download";

    /// <summary>Generator seed for upload payloads (both directions differ, so a mixed-up payload fails the hash).</summary>
    public const ulong UploadSeed = 0x7465_7468_6572_0001;

    /// <summary>Generator seed for download payloads.</summary>
    public const ulong DownloadSeed = 0x7465_7468_6572_0002;

    /// <summary>Encodes a control message as UTF-8 JSON.</summary>
    /// <param name="message">The message.</param>
    /// <returns>The bytes.</returns>
    public static byte[] Encode(ControlMessage message)
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("op", message.Op);
            if (message.Direction is not null)
            {
                json.WriteString("direction", message.Direction);
            }

            if (message.Bytes is { } bytes)
            {
                json.WriteNumber("bytes", bytes);
            }

            if (message.Sha256 is not null)
            {
                json.WriteString("sha256", message.Sha256);
            }

            if (message.Message is not null)
            {
                json.WriteString("message", message.Message);
            }

            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Decodes a control message; false for anything that is not a JSON object with a string "op".</summary>
    /// <param name="utf8">The message bytes.</param>
    /// <param name="message">The decoded message.</param>
    /// <returns>True when the bytes are a control message.</returns>
    public static bool TryDecode(ReadOnlySpan<byte> utf8, [NotNullWhen(true)] out ControlMessage? message)
    {
        message = null;
        if (utf8.IsEmpty || utf8.Length > MaxControlMessageBytes)
        {
            return false;
        }

        try
        {
            var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow, MaxDepth = 8 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            string? op = null, direction = null, sha256 = null, text = null;
            long? bytes = null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.GetString();
                reader.Read();
                switch (name)
                {
                    case "op" when reader.TokenType == JsonTokenType.String:
                        op = reader.GetString();
                        break;
                    case "direction" when reader.TokenType == JsonTokenType.String:
                        direction = reader.GetString();
                        break;
                    case "bytes" when reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var n):
                        bytes = n;
                        break;
                    case "sha256" when reader.TokenType == JsonTokenType.String:
                        sha256 = reader.GetString();
                        break;
                    case "message" when reader.TokenType == JsonTokenType.String:
                        text = reader.GetString();
                        break;
                    default:
                        reader.Skip();
                        break;
                }
            }

            if (reader.TokenType != JsonTokenType.EndObject || reader.Read() || op is null)
            {
                return false;
            }

            message = new ControlMessage(op, direction, bytes, sha256, text);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>Sends a control message on a channel.</summary>
    /// <param name="channel">The channel.</param>
    /// <param name="message">The message.</param>
    /// <returns>A task for the send.</returns>
    public static ValueTask SendAsync(TetherChannel channel, ControlMessage message)
    {
        ArgumentNullException.ThrowIfNull(channel);
        return channel.SendAsync(Encode(message));
    }

    /// <summary>
    /// Receives the next message on a channel and decodes it as a control message; null when the peer completed the
    /// channel.
    /// </summary>
    /// <param name="channel">The channel.</param>
    /// <returns>The message, or null at the end of the channel.</returns>
    /// <exception cref="PeerProtocolException">The message is too large or not a control message.</exception>
    /// <exception cref="ConnectionLostException">The connection was lost.</exception>
    public static async ValueTask<ControlMessage?> ReceiveAsync(TetherChannel channel)
    {
        ArgumentNullException.ThrowIfNull(channel);
        if (await channel.ReceiveAsync() is not { } received)
        {
            return null;
        }

        using (received)
        {
            return TryDecode(received.Payload, out var message)
                ? message
                : throw new PeerProtocolException(received.Length > MaxControlMessageBytes
                    ? $"a control message on channel {channel.Id} is larger than {MaxControlMessageBytes} bytes"
                    : $"a message on channel {channel.Id} is not a control message");
        }
    }

    /// <summary>Decodes a received payload as a control message (see <see cref="TryDecode(ReadOnlySpan{byte}, out ControlMessage?)"/>).</summary>
    /// <param name="payload">The message bytes.</param>
    /// <param name="message">The decoded message.</param>
    /// <returns>True when the bytes are a control message.</returns>
    public static bool TryDecode(ReadOnlySequence<byte> payload, [NotNullWhen(true)] out ControlMessage? message)
    {
        if (payload.Length > MaxControlMessageBytes)
        {
            message = null;
            return false;
        }

        return TryDecode(payload.IsSingleSegment ? payload.FirstSpan : payload.ToArray(), out message);
    }
}

/// <summary>One control message of the peer protocol (see <see cref="PeerProtocol"/>).</summary>
/// <param name="Op">The operation: download, transfer, sent, received or error.</param>
/// <param name="Direction">upload or download, for transfer messages.</param>
/// <param name="Bytes">A byte count.</param>
/// <param name="Sha256">A SHA-256 in lowercase hex.</param>
/// <param name="Message">A human-readable message, for errors.</param>
internal sealed record ControlMessage(string Op, string? Direction = null, long? Bytes = null, string? Sha256 = null, string? Message = null)
{
    /// <summary>The connector asks the listener to send <c>Bytes</c> bytes.</summary>
    public const string DownloadOp = "download";

    /// <summary>First message on a transfer channel: what follows.</summary>
    public const string TransferOp = "transfer";

    /// <summary>Last message of the sender on a transfer channel: what it sent.</summary>
    public const string SentOp = "sent";

    /// <summary>The receiver's confirmation on a transfer channel: what it received.</summary>
    public const string ReceivedOp = "received";

    /// <summary>A request or transfer failed.</summary>
    public const string ErrorOp = "error";

    /// <summary>Creates an error message.</summary>
    /// <param name="message">What went wrong.</param>
    /// <returns>The control message.</returns>
    public static ControlMessage Error(string message) => new(ErrorOp, Message: message);
}

/// <summary>The peer broke the <c>tether peer</c> application protocol.</summary>
internal sealed class PeerProtocolException : Exception
{
    /// <summary>Creates the exception.</summary>
    public PeerProtocolException()
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What rule was broken.</param>
    public PeerProtocolException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What rule was broken.</param>
    /// <param name="innerException">The cause.</param>
    public PeerProtocolException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
