using Tether.Pb.Jelly;

namespace Tether.Pb.Protocol;

/// <summary>
/// A remote call failed on the peer: the PB error answer carried a failure, whose Python exception type
/// (e.g. <c>builtins.ValueError</c>, <c>twisted.cred.error.UnauthorizedLogin</c>) and message are here.
/// </summary>
public sealed class PbRemoteCallException : Exception
{
    /// <summary>Creates an exception with a generic message.</summary>
    public PbRemoteCallException()
        : this(new PbFailure(string.Empty, "remote call failed"))
    {
    }

    /// <summary>Creates an exception with a message and no remote details.</summary>
    public PbRemoteCallException(string message)
        : this(new PbFailure(string.Empty, message))
    {
    }

    /// <summary>Creates an exception with a message and no remote details, wrapping <paramref name="innerException"/>.</summary>
    public PbRemoteCallException(string message, Exception innerException)
        : base(message, innerException)
    {
        Failure = new PbFailure(string.Empty, message);
    }

    /// <summary>Creates an exception for the failure the peer sent.</summary>
    public PbRemoteCallException(PbFailure failure)
        : base(Describe(failure))
    {
        Failure = failure;
    }

    /// <summary>The failure as the peer sent it.</summary>
    public PbFailure Failure { get; }

    /// <summary>Qualified name of the remote exception type, e.g. <c>builtins.ZeroDivisionError</c>.</summary>
    public string RemoteType => Failure.Type;

    /// <summary>The remote exception's message.</summary>
    public string RemoteMessage => Failure.Value;

    private static string Describe(PbFailure failure)
    {
        ArgumentNullException.ThrowIfNull(failure);
        return failure.Type.Length == 0 ? failure.Value : $"{failure.Type}: {failure.Value}";
    }
}

/// <summary>The PB connection ended before the call completed, or was already closed when it was made.</summary>
public sealed class PbConnectionLostException : Exception
{
    /// <summary>Creates an exception with a generic message.</summary>
    public PbConnectionLostException()
        : base("the PB connection was lost")
    {
    }

    /// <summary>Creates an exception with a message naming the reason.</summary>
    public PbConnectionLostException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with a message and the exception that ended the connection.</summary>
    public PbConnectionLostException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// No byte arrived from the peer for the liveness dead timeout: the connection was aborted. PB itself has
/// no keepalive; <see cref="PbLivenessOptions"/> adds Tether's.
/// </summary>
public sealed class PbDeadPeerException : Exception
{
    /// <summary>Creates an exception with a generic message.</summary>
    public PbDeadPeerException()
        : base("the peer sent nothing for the dead timeout")
    {
    }

    /// <summary>Creates an exception with a message.</summary>
    public PbDeadPeerException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with a message and an inner exception.</summary>
    public PbDeadPeerException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates an exception for <paramref name="silence"/> without an inbound byte.</summary>
    public PbDeadPeerException(TimeSpan silence)
        : base($"dead peer: no byte received for {silence.TotalSeconds:0.###} s")
    {
        Silence = silence;
    }

    /// <summary>How long the peer had been silent when it was declared dead.</summary>
    public TimeSpan Silence { get; }
}
