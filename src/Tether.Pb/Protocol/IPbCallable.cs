namespace Tether.Pb.Protocol;

/// <summary>
/// A local object a PB peer may call: what Twisted calls a Referenceable. Passing one in a call's arguments
/// or result exports it (the peer receives a remote reference); the peer's calls arrive here with their
/// arguments unjellied. The object model plugs its referenceables in through this interface.
/// </summary>
public interface IPbCallable
{
    /// <summary>Handles the peer's call of <paramref name="method"/> (without Twisted's <c>remote_</c> prefix).</summary>
    /// <param name="method">The method name the peer called.</param>
    /// <param name="arguments">Positional arguments.</param>
    /// <param name="keywordArguments">Keyword arguments.</param>
    /// <param name="cancellationToken">Fires when the connection ends.</param>
    /// <returns>
    /// The result, sent back as the answer. An exception is sent as a PB error: a <see cref="PbRemoteCallException"/>
    /// with its failure, anything else as a failure named after the exception's type; a Python caller sees a
    /// <c>CopiedFailure</c>.
    /// </returns>
    Task<object?> CallAsync(
        string method,
        IReadOnlyList<object?> arguments,
        IReadOnlyDictionary<string, object?> keywordArguments,
        CancellationToken cancellationToken);
}

/// <summary>
/// An exported object that wants to know when the peer no longer holds any reference to it: its last
/// <c>decref</c> arrived, or the connection ended while it was exported. Twisted uses this moment to log a
/// user out.
/// </summary>
public interface IPbExportLifetime
{
    /// <summary>Called once per export: after this the peer cannot call the object again without it being sent anew.</summary>
    void Released();
}
