using Tether.Remoting;

namespace Tether.Bench.Rpc.Tether;

/// <summary>The remote object a Tether bench server exports as its root.</summary>
public interface IBenchService : IReferenceable
{
    /// <summary>unary_small: answers with the same id and text in a new message.</summary>
    /// <param name="id">Any number.</param>
    /// <param name="text">The 32-byte string.</param>
    /// <returns>The answer.</returns>
    Task<SmallMessage> EchoAsync(int id, string text);

    /// <summary>payload_1mb: answers with the payload's length.</summary>
    /// <param name="data">The payload.</param>
    /// <returns>Its length.</returns>
    Task<int> UploadAsync(byte[] data);

    /// <summary>callbacks: calls <paramref name="sink"/> back for <paramref name="milliseconds"/>.</summary>
    /// <param name="sink">The client's callback object.</param>
    /// <param name="milliseconds">How long to keep calling.</param>
    /// <returns>How many callbacks were made.</returns>
    Task<long> TicksAsync(ITickSink sink, int milliseconds);
}

/// <summary>The client's callback object for the callbacks workload.</summary>
public interface ITickSink : IReferenceable
{
    /// <summary>One callback.</summary>
    /// <param name="id">Its number.</param>
    /// <param name="text">The 32-byte string.</param>
    /// <returns>Completes when handled.</returns>
    Task TickAsync(int id, string text);
}

/// <summary>The unary_small answer: a copyable (registered as <c>SmallMessage</c> on both ends).</summary>
/// <param name="Id">The id.</param>
/// <param name="Text">The text.</param>
public sealed record SmallMessage(int Id, string Text);
