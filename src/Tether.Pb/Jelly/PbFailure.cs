using System.Text;

namespace Tether.Pb.Jelly;

/// <summary>
/// A Python failure as PB carries it in an error answer (<c>twisted.spread.pb.CopyableFailure</c>):
/// the exception's qualified type name (e.g. <c>"builtins.ValueError"</c>), its message, the traceback
/// text (<c>"Traceback unavailable\n"</c> unless the sender allows tracebacks) and the qualified names of
/// the type and its bases, which Python's <c>Failure.check</c> matches against.
/// </summary>
public sealed record PbFailure(string Type, string Value, string Traceback, IReadOnlyList<string> Parents)
{
    private const string NoTraceback = "Traceback unavailable\n";

    /// <summary>A failure of <paramref name="type"/> with <paramref name="value"/> and no traceback.</summary>
    public PbFailure(string type, string value)
        : this(type, value, NoTraceback, [type, "builtins.Exception", "builtins.BaseException", "builtins.object"])
    {
    }

    internal static PbFailure FromState(IReadOnlyDictionary<string, object?> state) => new(
        Text(state.GetValueOrDefault("type")),
        Text(state.GetValueOrDefault("value")),
        Text(state.GetValueOrDefault("traceback")),
        state.GetValueOrDefault("parents") is IEnumerable<object?> parents ? [.. parents.Select(Text)] : []);

    /// <summary>
    /// The state Twisted's <c>CopyableFailure.getStateToCopy</c> produces; a Python receiver turns it into
    /// a <c>CopiedFailure</c>, whose methods read all of these attributes.
    /// </summary>
    internal IReadOnlyDictionary<string, object?> ToState() => new Dictionary<string, object?>
    {
        ["count"] = 0L,
        ["type"] = Encoding.UTF8.GetBytes(Type),
        ["value"] = Value,
        ["captureVars"] = false,
        ["frames"] = new List<object?>(),
        ["stack"] = new List<object?>(),
        ["tb"] = null,
        ["parents"] = Parents.Cast<object?>().ToList(),
        ["unsafeTracebacks"] = 0L,
        ["traceback"] = Traceback,
    };

    // Python 3 peers send the type as bytes and the rest as str; older ones sent bytes throughout.
    private static string Text(object? value) => value switch
    {
        string text => text,
        byte[] bytes => Encoding.UTF8.GetString(bytes),
        null => string.Empty,
        _ => PbRepr.Format(value),
    };
}
