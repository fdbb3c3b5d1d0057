using System.Diagnostics.CodeAnalysis;
using System.Linq.Expressions;
using System.Reflection;
using System.Runtime.CompilerServices;

namespace Tether.Internal;

/// <summary>
/// The arguments of one call on their way from the wire to the method, in the frame that declares this (heap arrays past
/// the inline capacity): each argument is either an object or, for the scalars common in calls (<see cref="int"/>,
/// <see cref="long"/>, <see cref="bool"/>, <see cref="double"/>), its bits, so no scalar is boxed on the way.
/// </summary>
internal struct ArgumentSlots
{
    private const int InlineCapacity = 8;

    private InlineObjects _objects;
    private InlineScalars _scalars;
    private object?[]? _heapObjects;
    private long[]? _heapScalars;

    /// <summary>Makes room for <paramref name="count"/> arguments (on the heap past the inline capacity).</summary>
    public void Allocate(int count)
    {
        if (count > InlineCapacity)
        {
            _heapObjects = new object?[count];
            _heapScalars = new long[count];
        }
    }

    /// <summary>The object slot of argument <paramref name="index"/>.</summary>
    [UnscopedRef]
    public ref object? Object(int index) => ref _heapObjects is { } heap ? ref heap[index] : ref _objects[index];

    /// <summary>The scalar slot of argument <paramref name="index"/>.</summary>
    [UnscopedRef]
    public ref long Scalar(int index) => ref _heapScalars is { } heap ? ref heap[index] : ref _scalars[index];

    /// <summary>Puts a value already of its declared type in slot <paramref name="index"/>: scalars as bits, anything else as the object.</summary>
    public void Put(int index, ArgumentKind kind, object? value)
    {
        switch (kind)
        {
            case ArgumentKind.Int32:
                Scalar(index) = (int)value!;
                break;
            case ArgumentKind.Int64:
                Scalar(index) = (long)value!;
                break;
            case ArgumentKind.Boolean:
                Scalar(index) = (bool)value! ? 1 : 0;
                break;
            case ArgumentKind.Double:
                Scalar(index) = BitConverter.DoubleToInt64Bits((double)value!);
                break;
            default:
                Object(index) = value;
                break;
        }
    }

    /// <summary>The value in slot <paramref name="index"/> as an object (boxing a scalar): for the rare paths that need one.</summary>
    public readonly object? Get(int index, ArgumentKind kind)
    {
        var bits = GetScalar(index);
        return kind switch
        {
            ArgumentKind.Int32 => (int)bits,
            ArgumentKind.Int64 => bits,
            ArgumentKind.Boolean => bits != 0,
            ArgumentKind.Double => BitConverter.Int64BitsToDouble(bits),
            _ => GetObject(index),
        };
    }

    /// <summary>Reads the object slot of argument <paramref name="index"/> (called by compiled invocations).</summary>
    public readonly object? GetObject(int index) => _heapObjects is { } heap ? heap[index] : _objects[index];

    /// <summary>Reads the scalar slot of argument <paramref name="index"/> (called by compiled invocations).</summary>
    public readonly long GetScalar(int index) => _heapScalars is { } heap ? heap[index] : _scalars[index];

    [InlineArray(InlineCapacity)]
    private struct InlineObjects
    {
        private object? _first;
    }

    [InlineArray(InlineCapacity)]
    private struct InlineScalars
    {
        private long _first;
    }
}

/// <summary>How an argument travels in its <see cref="ArgumentSlots"/> slot.</summary>
internal enum ArgumentKind
{
    /// <summary>As an object in the object slot (boxed if it is a value of another type).</summary>
    Object,

    /// <summary>An <see cref="int"/> in the scalar slot.</summary>
    Int32,

    /// <summary>A <see cref="long"/> in the scalar slot.</summary>
    Int64,

    /// <summary>A <see cref="bool"/> in the scalar slot (0 or not).</summary>
    Boolean,

    /// <summary>A <see cref="double"/>'s bits in the scalar slot.</summary>
    Double,
}

/// <summary>Which <see cref="ArgumentKind"/> a declared type travels as, and how compiled code takes it out of its slot.</summary>
internal static class ArgumentKinds
{
    private static readonly MethodInfo GetObject = typeof(ArgumentSlots).GetMethod(nameof(ArgumentSlots.GetObject))!;
    private static readonly MethodInfo GetScalar = typeof(ArgumentSlots).GetMethod(nameof(ArgumentSlots.GetScalar))!;
    private static readonly MethodInfo DoubleFromBits = typeof(BitConverter).GetMethod(nameof(BitConverter.Int64BitsToDouble))!;

    public static ArgumentKind For(Type type) =>
        type == typeof(int) ? ArgumentKind.Int32
        : type == typeof(long) ? ArgumentKind.Int64
        : type == typeof(bool) ? ArgumentKind.Boolean
        : type == typeof(double) ? ArgumentKind.Double
        : ArgumentKind.Object;

    /// <summary>
    /// The value a slot of <paramref name="type"/> holds when the caller or sender left it out: zero for a value type
    /// (null for a nullable one), null otherwise.
    /// </summary>
    public static object? DefaultOf(Type type) => type.IsValueType ? Activator.CreateInstance(type) : null;

    /// <summary>An expression for the value in slot <paramref name="index"/> of <paramref name="slots"/> (a by-reference parameter), as a <paramref name="type"/>.</summary>
    public static Expression Take(ParameterExpression slots, int index, Type type)
    {
        var position = Expression.Constant(index);
        var scalar = Expression.Call(slots, GetScalar, position);
        return For(type) switch
        {
            ArgumentKind.Int32 => Expression.Convert(scalar, typeof(int)),
            ArgumentKind.Int64 => scalar,
            ArgumentKind.Boolean => Expression.NotEqual(scalar, Expression.Constant(0L)),
            ArgumentKind.Double => Expression.Call(DoubleFromBits, scalar),
            _ => Expression.Convert(Expression.Call(slots, GetObject, position), type),
        };
    }
}
