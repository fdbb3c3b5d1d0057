namespace Tether.Pb.Banana;

/// <summary>
/// Limits for banana decoding and encoding. The defaults are exactly Twisted's (22.4): 64 bytes of
/// prefix and 640 KiB for a string or list. <see cref="MaxDepth"/> has no Twisted counterpart; it
/// stops a peer from exhausting the stack with deeply nested lists.
/// </summary>
public sealed record BananaOptions
{
    /// <summary>Twisted's default prefix limit (<c>banana._PREFIX_LIMIT</c>).</summary>
    public const int DefaultPrefixLimit = 64;

    /// <summary>Twisted's <c>banana.SIZE_LIMIT</c>: 640 KiB.</summary>
    public const int DefaultSizeLimit = 640 * 1024;

    /// <summary>Default limit on list nesting.</summary>
    public const int DefaultMaxDepth = 100;

    /// <summary>The options every codec uses unless given others.</summary>
    public static BananaOptions Default { get; } = new();

    /// <summary>
    /// Most base-128 digits a token's prefix may have (64 allows integers up to 2^448 - 1). A longer
    /// prefix is rejected as soon as its 65th digit arrives.
    /// </summary>
    public int PrefixLimit { get; init; } = DefaultPrefixLimit;

    /// <summary>Longest string (bytes) and longest list (elements) accepted or sent.</summary>
    public int SizeLimit { get; init; } = DefaultSizeLimit;

    /// <summary>Deepest list nesting accepted or sent; a top-level list is depth 1.</summary>
    public int MaxDepth { get; init; } = DefaultMaxDepth;

    /// <summary>Throws when a limit is out of range.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A limit is not positive.</exception>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(PrefixLimit, 1, nameof(PrefixLimit));
        ArgumentOutOfRangeException.ThrowIfLessThan(SizeLimit, 1, nameof(SizeLimit));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxDepth, 1, nameof(MaxDepth));
    }
}
