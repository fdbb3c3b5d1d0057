namespace Tether.Protocol;

/// <summary>Bounds on what one received value may make this side allocate or recurse through.</summary>
public sealed class SerializationLimits
{
    /// <summary>Deepest nesting of lists, dictionaries and copyables (default 64).</summary>
    public int MaxDepth { get; set; } = 64;

    /// <summary>Most items in one list or dictionary (default 1,048,576).</summary>
    public int MaxCollectionLength { get; set; } = 1024 * 1024;

    /// <summary>Longest scalar extension (a big integer's bytes, default 1,024).</summary>
    public int MaxScalarExtensionLength { get; set; } = 1024;

    /// <summary>Checks the values.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is not positive.</exception>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxDepth, 1, nameof(MaxDepth));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxCollectionLength, 1, nameof(MaxCollectionLength));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxScalarExtensionLength, 16, nameof(MaxScalarExtensionLength));
    }
}
