namespace Tether.Pb.Banana;

/// <summary>
/// The banana dialect ("profile") in force on a connection. A server offers <c>["pb", "none"]</c>
/// as its first expression, the client answers with the one it picks, and from then on both sides
/// use it. Only the <see cref="Pb"/> dialect allows vocabulary tokens.
/// </summary>
public enum BananaDialect
{
    /// <summary>Plain banana: no vocabulary tokens. In force until negotiation completes.</summary>
    None,

    /// <summary>The "pb" dialect: the 31 PB words may travel as one-byte vocabulary tokens.</summary>
    Pb,
}
