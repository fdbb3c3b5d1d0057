namespace Tether.Pb.Jelly;

/// <summary>
/// A jelly expression is malformed: wrong arity, an atom that is not a string, invalid UTF-8, a
/// dereference to an unknown object, a state that does not fit its registered type. What a broker does
/// with it depends on where it came from: Twisted answers a call whose arguments fail with an error and
/// keeps the connection, but drops the connection when an answer fails to unjelly.
/// </summary>
public class JellyException : PbProtocolException
{
    /// <summary>Creates an exception with a generic message.</summary>
    public JellyException()
        : base("malformed jelly")
    {
    }

    /// <summary>Creates an exception with a message describing the problem.</summary>
    public JellyException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with a message and the exception that revealed the problem.</summary>
    public JellyException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// A jelly expression names a type that is not allowed: a class, module, function or method atom, or a
/// class name that is not in the <see cref="PbTypeRegistry"/>. Twisted's <c>InsecureJelly</c>.
/// </summary>
public sealed class InsecureJellyException : JellyException
{
    /// <summary>Creates an exception with a generic message.</summary>
    public InsecureJellyException()
        : base("insecure jelly")
    {
    }

    /// <summary>Creates an exception with a message naming the type that was refused.</summary>
    public InsecureJellyException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with a message and the exception that revealed the problem.</summary>
    public InsecureJellyException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
