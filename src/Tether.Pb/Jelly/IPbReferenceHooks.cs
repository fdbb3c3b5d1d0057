namespace Tether.Pb.Jelly;

/// <summary>
/// The broker's side of serialization: which objects cross as references or replicas, and what a
/// received token stands for. Jelly calls it for nothing else.
/// </summary>
public interface IPbReferenceHooks
{
    /// <summary>
    /// Serializing: called for an object that is neither a PB value nor a registered copyable, once per
    /// occurrence (except a <see cref="PbNewCache"/> answer, which later occurrences in the same value
    /// refer back to). Returns the token to send in its place, or null when it cannot be sent.
    /// </summary>
    PbReference? ToReference(object value);

    /// <summary>Unserializing: the object that stands for <paramref name="reference"/>.</summary>
    /// <exception cref="JellyException">The token names nothing this broker knows.</exception>
    object? FromReference(PbReference reference);
}
