using System.Text;

namespace Tether.Pb.Jelly;

/// <summary>The atoms (first element of a jelly list) Tether reads and writes.</summary>
internal static class JellyAtoms
{
    public const string None = "None";
    public const string Unicode = "unicode";
    public const string Boolean = "boolean";
    public const string List = "list";
    public const string Tuple = "tuple";
    public const string Dictionary = "dictionary";
    public const string Set = "set";
    public const string FrozenSet = "frozenset";
    public const string Reference = "reference";
    public const string Dereference = "dereference";
    public const string Unpersistable = "unpersistable";
    public const string Persistent = "persistent";
    public const string Decimal = "decimal";
    public const string DateTime = "datetime";
    public const string Date = "date";
    public const string Time = "time";
    public const string TimeDelta = "timedelta";
    public const string Remote = "remote";
    public const string Local = "local";
    public const string Cached = "cached";
    public const string LocalCache = "lcache";
    public const string True = "true";
    public const string False = "false";

    /// <summary>
    /// Atoms a Python peer may send that would make Twisted import or look up code by name (or that
    /// Twisted's default <c>SecurityOptions</c> refuses). Never honoured.
    /// </summary>
    public static readonly IReadOnlySet<string> Refused = new HashSet<string>(StringComparer.Ordinal)
    {
        "class", "module", "function", "method", "instance", "copy", "cache",
    };

    /// <summary>A fresh byte string for an atom; callers own the expressions they get.</summary>
    public static byte[] Bytes(string atom) => Encoding.ASCII.GetBytes(atom);
}
