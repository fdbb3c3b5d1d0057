namespace Tether.Protocol;

/// <summary>
/// The first element of every remoting message (a MessagePack array on the connection's default channel). The layout
/// of each kind is in docs/protocol.md, "Remoting messages".
/// </summary>
internal enum MessageKind : byte
{
    /// <summary><c>[1, callId, target, method, args]</c>: invoke a method on one of the receiver's exported objects.</summary>
    Call = 1,

    /// <summary><c>[2, callId, value]</c>: a call's result.</summary>
    Answer = 2,

    /// <summary><c>[3, callId, type, message, detail]</c>: a call failed on the remote side.</summary>
    Error = 3,

    /// <summary><c>[4, callId]</c>: the caller gave up on a call; the callee's cancellation token fires.</summary>
    Cancel = 4,

    /// <summary><c>[5, exportId, count]</c>: the peer released <c>count</c> references it had received to an export.</summary>
    Decref = 5,

    /// <summary><c>[6, cacheId, method, args]</c>: an owner's observer pushes a change to the replica.</summary>
    CacheUpdate = 6,

    /// <summary><c>[7, cacheId]</c>: the replica was released; the owner stops observing.</summary>
    Uncache = 7,
}
