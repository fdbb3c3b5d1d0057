using System.Buffers.Binary;

namespace Tether.Framing;

/// <summary>Which end of the connection a side is; decides channel-number parity.</summary>
public enum ConnectionRole : byte
{
    /// <summary>The side that connected; opens odd channel numbers.</summary>
    Connector = 1,

    /// <summary>The side that accepted; opens even channel numbers.</summary>
    Listener = 2,
}

/// <summary>
/// The 28-byte preamble each side sends first: magic <c>TETH</c>, version, role and the limits this side enforces.
/// </summary>
/// <param name="Version">Protocol version (1).</param>
/// <param name="Role">The sender's role.</param>
/// <param name="MaxFramePayload">Largest DATA payload the sender accepts.</param>
/// <param name="ChannelWindow">Initial flow-control window the sender grants per channel.</param>
/// <param name="MaxMessageSize">Largest message the sender accepts.</param>
/// <param name="MaxChannels">Most channels the sender lets its peer have open at once.</param>
public readonly record struct Handshake(ushort Version, ConnectionRole Role, int MaxFramePayload, int ChannelWindow, long MaxMessageSize, int MaxChannels)
{
    /// <summary>Preamble size on the wire.</summary>
    public const int Size = 28;

    /// <summary>The version this implementation speaks.</summary>
    public const ushort CurrentVersion = 1;

    /// <summary>The magic bytes, ASCII "TETH".</summary>
    public static ReadOnlySpan<byte> Magic => "TETH"u8;

    /// <summary>Writes the preamble.</summary>
    /// <param name="destination">At least 28 bytes.</param>
    public void Write(Span<byte> destination)
    {
        Magic.CopyTo(destination);
        BinaryPrimitives.WriteUInt16BigEndian(destination[4..], Version);
        destination[6] = (byte)Role;
        destination[7] = 0;
        BinaryPrimitives.WriteUInt32BigEndian(destination[8..], (uint)MaxFramePayload);
        BinaryPrimitives.WriteUInt32BigEndian(destination[12..], (uint)ChannelWindow);
        BinaryPrimitives.WriteUInt64BigEndian(destination[16..], (ulong)MaxMessageSize);
        BinaryPrimitives.WriteUInt16BigEndian(destination[24..], (ushort)MaxChannels);
        BinaryPrimitives.WriteUInt16BigEndian(destination[26..], 0);
    }

    /// <summary>Parses and validates a preamble.</summary>
    /// <param name="source">Exactly the 28 preamble bytes.</param>
    /// <returns>The peer's handshake.</returns>
    /// <exception cref="ProtocolViolationException">Bad magic, unknown version or role, or limits out of range.</exception>
    internal static Handshake Parse(ReadOnlySpan<byte> source)
    {
        if (!source[..4].SequenceEqual(Magic))
        {
            throw new ProtocolViolationException($"bad magic 0x{Convert.ToHexString(source[..4])} (expected 0x{Convert.ToHexString(Magic)}, \"TETH\"): the peer does not speak the Tether protocol");
        }

        var version = BinaryPrimitives.ReadUInt16BigEndian(source[4..]);
        if (version != CurrentVersion)
        {
            throw new ProtocolViolationException(DisconnectReason.HandshakeFailed, $"peer speaks protocol version {version}; this side speaks {CurrentVersion}");
        }

        var role = source[6];
        if (role is not ((byte)ConnectionRole.Connector or (byte)ConnectionRole.Listener) || source[7] != 0)
        {
            throw new ProtocolViolationException($"handshake has invalid role byte {role} or nonzero reserved byte {source[7]}");
        }

        var maxFrame = BinaryPrimitives.ReadUInt32BigEndian(source[8..]);
        var window = BinaryPrimitives.ReadUInt32BigEndian(source[12..]);
        var maxMessage = BinaryPrimitives.ReadUInt64BigEndian(source[16..]);
        if (maxFrame is < TetherConnectionOptions.MinChunkSize or > TetherConnectionOptions.MaxChunkSizeLimit)
        {
            throw new ProtocolViolationException($"handshake max frame payload {maxFrame} is outside {TetherConnectionOptions.MinChunkSize}..{TetherConnectionOptions.MaxChunkSizeLimit}");
        }

        if (window < maxFrame || window > int.MaxValue)
        {
            throw new ProtocolViolationException($"handshake channel window {window} is outside {maxFrame}..{int.MaxValue}");
        }

        if (maxMessage > long.MaxValue)
        {
            throw new ProtocolViolationException($"handshake max message size {maxMessage} exceeds {long.MaxValue}");
        }

        var maxChannels = BinaryPrimitives.ReadUInt16BigEndian(source[24..]);
        if (maxChannels is < 1 or > 32767 || BinaryPrimitives.ReadUInt16BigEndian(source[26..]) != 0)
        {
            throw new ProtocolViolationException($"handshake max channels {maxChannels} is outside 1..32767 or the reserved field is nonzero");
        }

        return new Handshake(version, (ConnectionRole)role, (int)maxFrame, (int)window, (long)maxMessage, maxChannels);
    }
}
