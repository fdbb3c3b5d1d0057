namespace Tether.Pb.Banana;

/// <summary>
/// A banana token stream broke the format or a limit (prefix length, string or list size, nesting
/// depth, unknown type byte, unknown vocabulary token). Twisted raises <c>BananaError</c> in the same
/// places and drops the connection.
/// </summary>
public sealed class BananaException : PbProtocolException
{
    /// <summary>Creates an exception with a generic message.</summary>
    public BananaException()
        : base("banana protocol violation")
    {
    }

    /// <summary>Creates an exception with a message describing the violation.</summary>
    public BananaException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with a message and the exception that revealed the violation.</summary>
    public BananaException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
