namespace Tether.Protocol;

/// <summary>
/// A value could not be sent or received: a type that is neither registered as copyable nor referenceable, a value
/// that does not fit the expected type, or input beyond a configured limit. Only the one message is affected; the
/// connection stays up.
/// </summary>
public sealed class TetherSerializationException : Exception
{
    /// <summary>Creates the exception.</summary>
    public TetherSerializationException()
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What went wrong.</param>
    public TetherSerializationException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The cause.</param>
    public TetherSerializationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
