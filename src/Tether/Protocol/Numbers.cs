using System.Numerics;

namespace Tether.Protocol;

/// <summary>
/// Converts a number read off the wire into the numeric type the receiver declared, refusing values that do not fit
/// rather than wrapping them.
/// </summary>
internal static class Numbers
{
    public static object FromInt64(long value, Type target)
    {
        var type = Nullable.GetUnderlyingType(target) ?? target;
        if (type.IsEnum)
        {
            return Enum.ToObject(type, value);
        }

        return Type.GetTypeCode(type) switch
        {
            TypeCode.Int32 => checked((int)value),
            TypeCode.Int64 => value,
            TypeCode.Int16 => checked((short)value),
            TypeCode.SByte => checked((sbyte)value),
            TypeCode.Byte => checked((byte)value),
            TypeCode.UInt16 => checked((ushort)value),
            TypeCode.UInt32 => checked((uint)value),
            TypeCode.UInt64 => checked((ulong)value),
            TypeCode.Double => (double)value,
            TypeCode.Single => (float)value,
            TypeCode.Decimal => (decimal)value,
            _ when type == typeof(BigInteger) => new BigInteger(value),
            _ => value,
        };
    }

    public static object FromUInt64(ulong value, Type target)
    {
        var type = Nullable.GetUnderlyingType(target) ?? target;
        return Type.GetTypeCode(type) switch
        {
            TypeCode.UInt64 => value,
            TypeCode.Double => (double)value,
            TypeCode.Single => (float)value,
            TypeCode.Decimal => (decimal)value,
            _ when type == typeof(BigInteger) => new BigInteger(value),
            _ when value <= long.MaxValue => FromInt64((long)value, target),
            _ when type == typeof(object) => value,
            _ => throw new OverflowException($"{value} does not fit in {type}."),
        };
    }

    public static object FromDouble(double value, Type target)
    {
        var type = Nullable.GetUnderlyingType(target) ?? target;
        return Type.GetTypeCode(type) switch
        {
            TypeCode.Single => (float)value,
            TypeCode.Decimal => (decimal)value,
            _ => value,
        };
    }

    public static object FromBigInteger(BigInteger value, Type target)
    {
        var type = Nullable.GetUnderlyingType(target) ?? target;
        if (type == typeof(BigInteger) || type == typeof(object))
        {
            return value;
        }

        return Type.GetTypeCode(type) switch
        {
            TypeCode.Double => (double)value,
            TypeCode.UInt64 => (ulong)value,
            _ => FromInt64((long)value, target),
        };
    }
}
