using Tether.Lab.Netns;

namespace Tether.Lab.Scenarios;

/// <summary>The fault a scenario injects.</summary>
public enum LabFault
{
    /// <summary>Nothing: a healthy scenario, where any disconnect is a false one.</summary>
    None,

    /// <summary>The server process is SIGKILLed.</summary>
    KillServer,

    /// <summary>Every packet is dropped, both ways, from then on.</summary>
    Blackhole,

    /// <summary>The server process is SIGSTOPped for <see cref="LabScenario.FreezeFor"/>, then continued.</summary>
    FreezeServer,

    /// <summary>The NAT router forgets every connection (conntrack flush).</summary>
    ForgetNat,
}

/// <summary>Which ends of the connection must notice a fault.</summary>
[Flags]
public enum LabSides
{
    /// <summary>Neither: the scenario is healthy.</summary>
    None = 0,

    /// <summary>The connecting side (namespace A, the worker).</summary>
    Client = 1,

    /// <summary>The listening side (namespace B, the coordinator).</summary>
    Server = 2,

    /// <summary>Both ends.</summary>
    Both = Client | Server,
}

/// <summary>A rate limit on both directions of the link (tbf).</summary>
/// <param name="KbitPerSecond">The rate.</param>
/// <param name="Queue">How much the queue holds, in time at that rate.</param>
public sealed record LinkShape(int KbitPerSecond, TimeSpan Queue);

/// <summary>
/// One lab scenario: a network, a workload on the connection, a fault and what must be seen. Built by
/// <see cref="ScenarioCatalog"/> for a full or a quick run.
/// </summary>
public sealed record LabScenario
{
    /// <summary>The scenario's fixed name (what <c>--scenario</c> selects and the JSON reports).</summary>
    public required string Name { get; init; }

    /// <summary>How the table names this run: the name, plus a variant where one scenario has several.</summary>
    public string Label => Variant is null ? Name : $"{Name} ({Variant})";

    /// <summary>A variant of the scenario (e.g. how the router answers), or null.</summary>
    public string? Variant { get; init; }

    /// <summary>The configured dead bound, for every contender that has one.</summary>
    public required TimeSpan Bound { get; init; }

    /// <summary>The keepalive interval that goes with <see cref="Bound"/>: a third of it, so three heartbeats are missed before a verdict.</summary>
    public TimeSpan Keepalive => TimeSpan.FromMilliseconds(Math.Round(Bound.TotalMilliseconds / 3));

    /// <summary>The fault.</summary>
    public LabFault Fault { get; init; }

    /// <summary>Which sides must notice the fault (none for a healthy scenario).</summary>
    public LabSides MustDetect { get; init; }

    /// <summary>Time from the connection's start (or from the end of <see cref="Delay"/>) to the fault.</summary>
    public TimeSpan FaultAfter { get; init; }

    /// <summary>How long the server stays frozen, for <see cref="LabFault.FreezeServer"/>.</summary>
    public TimeSpan FreezeFor { get; init; }

    /// <summary>How long after the fault the lab waits for the sides to notice.</summary>
    public TimeSpan Observe { get; init; }

    /// <summary>The link's rate limit, or null for an unshaped veth.</summary>
    public LinkShape? Link { get; init; }

    /// <summary>A NAT router between the sides, or null.</summary>
    public NatRouter? Router { get; init; }

    /// <summary>Bytes the client uploads, or null.</summary>
    public long? Upload { get; init; }

    /// <summary>Bytes the client downloads, or null.</summary>
    public long? Download { get; init; }

    /// <summary>How long the client keeps the connection idle before its transfers.</summary>
    public TimeSpan Delay { get; init; }

    /// <summary>
    /// For a healthy scenario, how long the client holds the connection after its transfers before closing in order;
    /// null for a fault scenario, where the client holds it until the lab ends the run.
    /// </summary>
    public TimeSpan? Hold { get; init; }

    /// <summary>For a healthy scenario: the longest the client may take to finish its work and close.</summary>
    public TimeSpan Deadline { get; init; }

    /// <summary>True when no side must notice anything: every disconnect before the orderly end is a false one.</summary>
    public bool IsHealthy => MustDetect == LabSides.None;

    /// <summary>True when the scenario moves payloads, so completed/intact apply.</summary>
    public bool HasTransfers => Upload is not null || Download is not null;

    /// <summary>
    /// True when the connection is idle from its start to the fault (or to the end of <see cref="Delay"/>), so every
    /// byte on the wire in that window is keepalive traffic.
    /// </summary>
    public bool IdleWindowMeasured => !HasTransfers || Delay > TimeSpan.Zero;
}
