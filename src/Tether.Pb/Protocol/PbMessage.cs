namespace Tether.Pb.Protocol;

/// <summary>
/// One PB broker message, the top-level banana list <c>[command, arguments...]</c> after dialect
/// negotiation. Arguments, results and failures stay jelly expressions here; the broker (un)jellies
/// them with its own reference tables.
/// </summary>
public abstract record PbMessage;

/// <summary><c>["version", n]</c>: each side sends it once, right after the dialect is chosen; PB is version 6.</summary>
public sealed record PbVersion(long Version) : PbMessage
{
    /// <summary>The only version Twisted speaks (<c>Broker.version</c>).</summary>
    public const long Current = 6;
}

/// <summary>
/// <c>["message", requestId, target, method, answerRequired, args, kwargs]</c> (a call to an exported
/// Referenceable) or, with <paramref name="ToCache"/>, <c>["cachemessage", ...]</c> (an observer's call
/// to a replica, addressed by cache id). <paramref name="Arguments"/> is the jelly of a tuple and
/// <paramref name="KeywordArguments"/> the jelly of a dict with str keys.
/// </summary>
public sealed record PbCall(
    long RequestId,
    PbObjectId Target,
    string Method,
    bool AnswerRequired,
    object Arguments,
    object KeywordArguments,
    bool ToCache = false) : PbMessage;

/// <summary><c>["answer", requestId, result]</c>: the jelly of a call's result.</summary>
public sealed record PbAnswer(long RequestId, object Result) : PbMessage;

/// <summary><c>["error", requestId, failure]</c>: the jelly of a call's failure, usually a CopyableFailure.</summary>
public sealed record PbError(long RequestId, object Failure) : PbMessage;

/// <summary><c>["decref", id]</c>: the sender dropped one remote reference to the receiver's export <paramref name="Id"/>.</summary>
public sealed record PbDecRef(PbObjectId Id) : PbMessage;

/// <summary><c>["decache", id]</c>: the sender dropped one replica of the receiver's cacheable <paramref name="Id"/>.</summary>
public sealed record PbDecache(long Id) : PbMessage;

/// <summary>
/// <c>["uncache", id]</c>: the owner stopped replicating cacheable <paramref name="Id"/> (it answers the
/// decache that dropped the last reference); the receiver forgets the replica's id.
/// </summary>
public sealed record PbUncache(long Id) : PbMessage;

/// <summary><c>["didNotUnderstand", command]</c>: the sender has no handler for <paramref name="Command"/>.</summary>
public sealed record PbDidNotUnderstand(string Command) : PbMessage;

/// <summary>A well-formed message with a command this implementation does not know.</summary>
public sealed record PbUnknownCommand(string Command, IReadOnlyList<object> Arguments) : PbMessage;
