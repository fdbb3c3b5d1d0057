using System.Buffers.Binary;
using Tether.Framing;

namespace Tether.Tests.Infrastructure;

/// <summary>Hand-made wire bytes for tests that play a (possibly misbehaving) peer.</summary>
internal static class Wire
{
    public static byte[] Preamble(ConnectionRole role, int maxFrame = 64 * 1024, int window = 1024 * 1024, long maxMessage = 64L * 1024 * 1024, int maxChannels = 256, ushort version = Handshake.CurrentVersion)
    {
        var bytes = new byte[Handshake.Size];
        new Handshake(version, role, maxFrame, window, maxMessage, maxChannels).Write(bytes);
        return bytes;
    }

    public static byte[] Frame(FrameType type, ushort channel, ReadOnlySpan<byte> payload, FrameFlags flags = FrameFlags.None)
    {
        var bytes = new byte[FrameHeader.Size + payload.Length];
        new FrameHeader(payload.Length, type, flags, channel).Write(bytes);
        payload.CopyTo(bytes.AsSpan(FrameHeader.Size));
        return bytes;
    }

    public static byte[] RawHeader(uint length, byte type, byte flags, ushort channel)
    {
        var bytes = new byte[FrameHeader.Size];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, length);
        bytes[4] = type;
        bytes[5] = flags;
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(6), channel);
        return bytes;
    }

    public static byte[] Credit(ushort channel, uint increment)
    {
        var payload = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(payload, increment);
        return Frame(FrameType.Credit, channel, payload);
    }

    public static byte[] Ping(ulong echo)
    {
        var payload = new byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(payload, echo);
        return Frame(FrameType.Ping, 0, payload);
    }

    public static byte[] Concat(params byte[][] parts) => [.. parts.SelectMany(p => p)];
}
