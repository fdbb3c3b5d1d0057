using System.Numerics;

namespace Tether.Pb;

/// <summary>
/// PB integers have no fixed size. Decoders produce a <see cref="long"/> when the value fits and a
/// <see cref="BigInteger"/> only when it does not, so each value has one representation.
/// </summary>
public static class PbIntegers
{
    /// <summary>Returns <paramref name="value"/> as a long when it fits, otherwise the BigInteger itself.</summary>
    public static object Normalize(BigInteger value) =>
        value >= long.MinValue && value <= long.MaxValue ? (object)(long)value : value;

    /// <summary>
    /// Converts any .NET integer (signed, unsigned, native or BigInteger) to a BigInteger; false when
    /// <paramref name="value"/> is not an integer. Booleans and chars are not integers here.
    /// </summary>
    public static bool TryGetInteger(object? value, out BigInteger result)
    {
        switch (value)
        {
            case int i: result = i; return true;
            case long l: result = l; return true;
            case BigInteger b: result = b; return true;
            case short s: result = s; return true;
            case sbyte sb: result = sb; return true;
            case byte by: result = by; return true;
            case ushort us: result = us; return true;
            case uint ui: result = ui; return true;
            case ulong ul: result = ul; return true;
            case nint ni: result = ni; return true;
            case nuint nu: result = nu; return true;
            case Int128 i128: result = i128; return true;
            case UInt128 u128: result = u128; return true;
            default: result = default; return false;
        }
    }
}
