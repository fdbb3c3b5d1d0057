using System.Buffers.Binary;
using System.Net.Sockets;

namespace Tether.Cli.Lab.Contenders;

/// <summary>The kinds of message the plain-socket contenders exchange.</summary>
internal enum StreamMessageKind : byte
{
    /// <summary>Client to server: a bulk payload.</summary>
    Upload = 1,

    /// <summary>Server to client: the SHA-256 (32 bytes) of an upload received whole.</summary>
    Ack = 2,

    /// <summary>Client to server: send me a payload of this many bytes (8-byte length).</summary>
    DownloadRequest = 3,

    /// <summary>Server to client: a bulk payload.</summary>
    Download = 4,

    /// <summary>Either way: the 2005 scheme's keepalive call.</summary>
    Ping = 5,

    /// <summary>Either way: the answer to <see cref="Ping"/>.</summary>
    Pong = 6,
}

/// <summary>
/// The wire format of the plain-socket contenders (<c>tcp</c>, <c>tcp-keepalive</c>, <c>seed-2005</c>): each message is
/// a 9-byte header (kind, 8-byte big-endian length) and its payload, written whole, in order, one after another, like a
/// PB message in a Twisted transport: no chunking, no priority.
/// </summary>
internal static class StreamWire
{
    /// <summary>Header length.</summary>
    public const int HeaderLength = 9;

    /// <summary>Read and write unit for bulk payloads.</summary>
    public const int BlockSize = 64 * 1024;

    /// <summary>The largest non-bulk payload accepted (an Ack's hash, a download's length).</summary>
    public const int MaxSmallPayload = 64;

    /// <summary>Encodes a header.</summary>
    /// <param name="kind">The message kind.</param>
    /// <param name="length">The payload length.</param>
    /// <returns>The header bytes.</returns>
    public static byte[] Header(StreamMessageKind kind, long length)
    {
        var header = new byte[HeaderLength];
        header[0] = (byte)kind;
        BinaryPrimitives.WriteInt64BigEndian(header.AsSpan(1), length);
        return header;
    }

    /// <summary>True for the kinds whose payload is bulk data, streamed rather than buffered.</summary>
    /// <param name="kind">The kind.</param>
    /// <returns>Whether it is bulk.</returns>
    public static bool IsBulk(StreamMessageKind kind) => kind is StreamMessageKind.Upload or StreamMessageKind.Download;

    /// <summary>The snake_case disconnect reason for a socket failure, in <c>tether peer</c>'s vocabulary.</summary>
    /// <param name="error">The socket error.</param>
    /// <returns>The reason.</returns>
    public static string ReasonOf(SocketError error) => error switch
    {
        SocketError.ConnectionReset or SocketError.ConnectionAborted => "peer_reset",
        SocketError.TimedOut => "dead_peer",
        _ => "transport_error",
    };
}
