namespace Tether.Pb;

/// <summary>
/// The peer sent bytes or values that break the Perspective Broker wire protocol. A connection that
/// catches this from its decoder ends with a protocol violation; the message says what was wrong.
/// </summary>
public class PbProtocolException : Exception
{
    /// <summary>Creates an exception with a generic message.</summary>
    public PbProtocolException()
        : base("PB protocol violation")
    {
    }

    /// <summary>Creates an exception with a message describing the violation.</summary>
    public PbProtocolException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with a message and the exception that revealed the violation.</summary>
    public PbProtocolException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
