namespace Tether.Remoting;

/// <summary>A configured limit was reached (exports, outstanding calls); the operation was refused, nothing else changed.</summary>
public sealed class TetherLimitException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    public TetherLimitException()
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">Which limit, and its value.</param>
    public TetherLimitException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">Which limit, and its value.</param>
    /// <param name="innerException">The cause.</param>
    public TetherLimitException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
