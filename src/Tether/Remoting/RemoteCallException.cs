namespace Tether.Remoting;

/// <summary>
/// A remote call failed on the peer's side: the peer's method threw, or the peer refused the call (no such object or
/// method, an argument it could not read, a limit). The connection stays up.
/// </summary>
public sealed class RemoteCallException : Exception
{
    /// <summary>Creates the exception.</summary>
    public RemoteCallException()
        : this("Unknown", "The remote call failed.", null)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What went wrong.</param>
    public RemoteCallException(string message)
        : this("Unknown", message, null)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The cause.</param>
    public RemoteCallException(string message, Exception innerException)
        : base(message, innerException)
    {
        RemoteType = "Unknown";
    }

    /// <summary>Creates the exception from what the peer reported.</summary>
    /// <param name="remoteType">The remote exception's type name (for example <c>System.InvalidOperationException</c>).</param>
    /// <param name="message">The remote exception's message.</param>
    /// <param name="remoteStackTrace">The remote stack trace, when the peer chose to send it.</param>
    public RemoteCallException(string remoteType, string message, string? remoteStackTrace)
        : base(message)
    {
        RemoteType = remoteType;
        RemoteStackTrace = remoteStackTrace;
    }

    /// <summary>The full name of the exception type raised on the peer's side.</summary>
    public string RemoteType { get; }

    /// <summary>The peer's stack trace; null unless the peer opted in (<see cref="RemotingOptions.IncludeExceptionDetails"/>).</summary>
    public string? RemoteStackTrace { get; }

    /// <inheritdoc />
    public override string ToString() => $"{nameof(RemoteCallException)}: {RemoteType}: {Message}";
}
