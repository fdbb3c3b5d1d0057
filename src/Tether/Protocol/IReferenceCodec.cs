using Nerdbank.MessagePack;

namespace Tether.Protocol;

/// <summary>
/// The object model's side of serialization: objects that do not travel by value (referenceables, remote references,
/// cacheables) are written as tokens that the connection's reference tables give meaning to.
/// </summary>
internal interface IReferenceCodec
{
    /// <summary>Writes <paramref name="value"/> as a token if it is passed by reference or as a cache.</summary>
    /// <returns>False when the value is not one of those (it is then written by value, or refused).</returns>
    bool TryWrite(ref MessagePackWriter writer, object value, ValueWriter values);

    /// <summary>Resolves a <see cref="ValueTag.Reference"/>, <see cref="ValueTag.Yours"/> or <see cref="ValueTag.Cached"/> token.</summary>
    object Resolve(sbyte tag, uint id);

    /// <summary>Reads a cacheable's first appearance (after its marker): cache id, name and state; returns the replica.</summary>
    object ReadNewCache(ref MessagePackReader reader, ValueReader values);

    /// <summary>Turns a resolved reference into what the receiving code declared (a typed proxy for an interface).</summary>
    /// <returns>False when <paramref name="value"/> cannot become a <paramref name="target"/>.</returns>
    bool TryAdapt(object value, Type target, out object adapted);
}
