using System.Globalization;
using System.Text;
using Tether.Pb.Jelly;

namespace Tether.Pb;

/// <summary>
/// Identifies an object one broker exports to its peer. Exports get numbers (a per-connection counter
/// starting at 1); a few objects are exported under a name, above all the root object, named "root".
/// On the wire a number is an integer and a name is a byte string.
/// </summary>
public readonly record struct PbObjectId
{
    private PbObjectId(long number, string? name)
    {
        Number = number;
        Name = name;
    }

    /// <summary>The root object every PB server exports under the name "root".</summary>
    public static PbObjectId Root { get; } = FromName("root");

    /// <summary>The export number; 0 for a named object.</summary>
    public long Number { get; }

    /// <summary>The export name, or null for a numbered object.</summary>
    public string? Name { get; }

    /// <summary>An id for a numbered export.</summary>
    public static PbObjectId FromNumber(long number) => new(number, null);

    /// <summary>An id for a named export.</summary>
    public static PbObjectId FromName(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return new(0, name);
    }

    /// <summary>Reads an id from its wire form: an integer or a byte string.</summary>
    /// <exception cref="JellyException">The value is neither.</exception>
    public static PbObjectId FromWire(object? value) => value switch
    {
        long number => FromNumber(number),
        byte[] { Length: > 0 } name => FromName(Encoding.UTF8.GetString(name)),
        _ => throw new JellyException($"object id must be an integer or a non-empty string, got {PbRepr.Format(value)}"),
    };

    /// <summary>The wire form: a long for a number, UTF-8 bytes for a name.</summary>
    public object ToWire() => Name is null ? Number : Encoding.UTF8.GetBytes(Name);

    /// <inheritdoc />
    public override string ToString() => Name ?? Number.ToString(CultureInfo.InvariantCulture);
}
