namespace Tether.Pb.Banana;

/// <summary>
/// Type bytes that end a token's base-128 prefix. Any byte with the high bit set ends the prefix;
/// the ones not listed here are invalid.
/// </summary>
internal static class BananaTypeByte
{
    public const byte List = 0x80;
    public const byte Int = 0x81;
    public const byte String = 0x82;
    public const byte Neg = 0x83;
    public const byte Float = 0x84;
    public const byte LongInt = 0x85;
    public const byte LongNeg = 0x86;
    public const byte Vocab = 0x87;

    /// <summary>Bytes below this are prefix digits; bytes at or above it are type bytes.</summary>
    public const byte HighBit = 0x80;
}
