using Tether.Protocol;

namespace Tether.Remoting;

/// <summary>Settings of the object layer of a connection: what may cross it, and how much of it may pile up.</summary>
public sealed class RemotingOptions
{
    /// <summary>Types sent by value (copyables) and replica classes; anything not listed here is refused.</summary>
    public TypeRegistry Types { get; set; } = new();

    /// <summary>Bounds on received values (depth, collection length).</summary>
    public SerializationLimits Limits { get; set; } = new();

    /// <summary>Most objects this side exports to one peer at a time (default 10,000); beyond it, sending another fails clearly.</summary>
    public int MaxExports { get; set; } = 10_000;

    /// <summary>Most calls this side may have waiting for answers on one connection (default 10,000).</summary>
    public int MaxOutstandingCalls { get; set; } = 10_000;

    /// <summary>Most of the peer's calls running here at once on one connection (default 1,000); beyond it calls are refused with an error.</summary>
    public int MaxConcurrentIncomingCalls { get; set; } = 1_000;

    /// <summary>Send stack traces with errors to the peer (default false: type name and message only).</summary>
    public bool IncludeExceptionDetails { get; set; }

    /// <summary>Checks the values.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A limit is not positive.</exception>
    /// <exception cref="ArgumentNullException">A required part is missing.</exception>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Types);
        ArgumentNullException.ThrowIfNull(Limits);
        Limits.Validate();
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxExports, 1, nameof(MaxExports));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxOutstandingCalls, 1, nameof(MaxOutstandingCalls));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxConcurrentIncomingCalls, 1, nameof(MaxConcurrentIncomingCalls));
    }
}
