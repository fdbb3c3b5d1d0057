using Nerdbank.MessagePack;
using Tether.Internal;
using Tether.Protocol;

namespace Tether.Remoting;

/// <summary>
/// The arguments of an outgoing call: an array (a call by name, or a proxy for an interface the emitter cannot
/// implement), or slots an emitted proxy filled, where <see cref="int"/>, <see cref="long"/>, <see cref="bool"/> and
/// <see cref="double"/> arguments are bits and were never boxed.
/// </summary>
internal struct CallArguments
{
    private readonly object?[]? _array;
    private readonly ArgumentKind[]? _kinds;
    private ArgumentSlots _slots;

    public CallArguments(object?[] array) => _array = array;

    public CallArguments(in ArgumentSlots slots, ArgumentKind[] kinds)
    {
        _slots = slots;
        _kinds = kinds;
    }

    /// <summary>Writes the arguments as a MessagePack array, each as <see cref="ValueWriter"/> writes it.</summary>
    public readonly void Write(ref MessagePackWriter writer, ValueWriter values)
    {
        if (_array is not null)
        {
            values.WriteArray(ref writer, _array);
            return;
        }

        writer.WriteArrayHeader(_kinds!.Length);
        for (var i = 0; i < _kinds.Length; i++)
        {
            // The same encodings ValueWriter picks for these types boxed.
            switch (_kinds[i])
            {
                case ArgumentKind.Int32:
                    writer.Write((int)_slots.GetScalar(i));
                    break;
                case ArgumentKind.Int64:
                    writer.Write(_slots.GetScalar(i));
                    break;
                case ArgumentKind.Boolean:
                    writer.Write(_slots.GetScalar(i) != 0);
                    break;
                case ArgumentKind.Double:
                    writer.Write(BitConverter.Int64BitsToDouble(_slots.GetScalar(i)));
                    break;
                default:
                    values.Write(ref writer, _slots.GetObject(i));
                    break;
            }
        }
    }

    /// <summary>The arguments as objects (for a PB peer, whose encoder takes objects).</summary>
    public readonly object?[] ToArray()
    {
        if (_array is not null)
        {
            return _array;
        }

        var array = new object?[_kinds!.Length];
        for (var i = 0; i < array.Length; i++)
        {
            array[i] = _slots.Get(i, _kinds[i]);
        }

        return array;
    }
}
