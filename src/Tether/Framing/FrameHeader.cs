using System.Buffers.Binary;

namespace Tether.Framing;

/// <summary>
/// The 8-byte frame header: payload length (u32), type (u8), flags (u8), channel (u16), all big-endian.
/// </summary>
/// <param name="Length">Payload length in bytes (not counting the header).</param>
/// <param name="Type">Frame type.</param>
/// <param name="Flags">Flag bits.</param>
/// <param name="Channel">Channel number (0 for connection-level frames).</param>
public readonly record struct FrameHeader(int Length, FrameType Type, FrameFlags Flags, ushort Channel)
{
    /// <summary>Header size on the wire.</summary>
    public const int Size = 8;

    /// <summary>Writes the header into the first <see cref="Size"/> bytes of <paramref name="destination"/>.</summary>
    /// <param name="destination">At least 8 bytes.</param>
    public void Write(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)Length);
        destination[4] = (byte)Type;
        destination[5] = (byte)Flags;
        BinaryPrimitives.WriteUInt16BigEndian(destination[6..], Channel);
    }

    /// <summary>Reads a header; the caller validates it.</summary>
    /// <param name="source">At least 8 bytes.</param>
    /// <param name="rawLength">The length field as sent, before any range check.</param>
    /// <returns>The header (length clamped to int for the caller to reject).</returns>
    internal static FrameHeader Read(ReadOnlySpan<byte> source, out uint rawLength)
    {
        rawLength = BinaryPrimitives.ReadUInt32BigEndian(source);
        return new FrameHeader(
            (int)Math.Min(rawLength, int.MaxValue),
            (FrameType)source[4],
            (FrameFlags)source[5],
            BinaryPrimitives.ReadUInt16BigEndian(source[6..]));
    }
}
