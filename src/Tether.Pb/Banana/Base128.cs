using System.Buffers;
using System.Numerics;

namespace Tether.Pb.Banana;

/// <summary>
/// Banana's unsigned base-128 prefix: least significant digit first, 7 bits per byte, high bit clear.
/// Zero is the single digit 0; digits of value 0 at the high end are allowed when decoding.
/// </summary>
internal static class Base128
{
    // Nine digits carry 63 bits, so they always fit a long.
    private const int DigitsThatFitInt64 = 9;

    /// <summary>Reads the digits as a long when the value fits, otherwise returns false.</summary>
    public static bool TryReadInt64(ReadOnlySpan<byte> digits, out long value)
    {
        value = 0;
        for (var i = digits.Length - 1; i >= DigitsThatFitInt64; i--)
        {
            if (digits[i] != 0)
            {
                return false;
            }
        }

        var count = Math.Min(digits.Length, DigitsThatFitInt64);
        for (var i = count - 1; i >= 0; i--)
        {
            value = (value << 7) | digits[i];
        }

        return true;
    }

    /// <summary>Reads the digits as an integer: a long when it fits, a BigInteger otherwise.</summary>
    public static object Read(ReadOnlySpan<byte> digits, bool negate)
    {
        if (TryReadInt64(digits, out var small))
        {
            return negate ? -small : small;
        }

        var big = BigInteger.Zero;
        for (var i = digits.Length - 1; i >= 0; i--)
        {
            big = (big << 7) | digits[i];
        }

        return PbIntegers.Normalize(negate ? -big : big);
    }

    /// <summary>Writes a non-negative value's digits.</summary>
    public static void Write(ulong value, IBufferWriter<byte> output)
    {
        var span = output.GetSpan(10);
        var length = 0;
        do
        {
            span[length++] = (byte)(value & 0x7F);
            value >>= 7;
        }
        while (value != 0);

        output.Advance(length);
    }

    /// <summary>Writes a non-negative value's digits.</summary>
    public static void Write(BigInteger value, IBufferWriter<byte> output)
    {
        if (value <= ulong.MaxValue)
        {
            Write((ulong)value, output);
            return;
        }

        var length = (int)((value.GetBitLength() + 6) / 7);
        var span = output.GetSpan(length);
        for (var i = 0; i < length; i++)
        {
            span[i] = (byte)(value & 0x7F);
            value >>= 7;
        }

        output.Advance(length);
    }
}
