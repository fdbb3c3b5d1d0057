using Tether.Lab.Netns;

namespace Tether.Lab.Scenarios;

/// <summary>
/// The lab's scenarios with the parameters of a full run, and the same scaled down for <c>--quick</c>. Quick keeps every
/// scenario and every mechanism; it shortens the bound for the fault scenarios (10 s to 4 s) and the waits and payloads
/// with it, but never the dial-up bound: on a 56 kbit/s link TCP's own loss recovery stalls a flow for seconds, and a
/// bound below that stall would test physics, not liveness.
/// </summary>
public static class ScenarioCatalog
{
    /// <summary>Every scenario name, in the order the table shows them.</summary>
    public static IReadOnlyList<string> Names { get; } =
    [
        "crash", "blackhole-idle", "blackhole-busy", "freeze-short", "freeze-long",
        "nat-idle", "nat-forget", "dialup-upload", "dialup-download",
    ];

    /// <summary>The dead bound used on the dial-up link, full and quick alike.</summary>
    public static TimeSpan DialupBound { get; } = TimeSpan.FromSeconds(10);

    /// <summary>The dial-up link: 56 kbit/s each way, a one-second queue.</summary>
    public static LinkShape DialupLink { get; } = new(56, TimeSpan.FromSeconds(1));

    /// <summary>Builds the scenarios.</summary>
    /// <param name="quick">Scale times and payloads down for a run of a few minutes.</param>
    /// <returns>The scenarios (nat-forget twice: the router answering with a reset, and dropping silently).</returns>
    public static IReadOnlyList<LabScenario> Create(bool quick)
    {
        var bound = TimeSpan.FromSeconds(quick ? 4 : 10);
        var settle = TimeSpan.FromSeconds(quick ? 2 : 5);

        // Long enough for a scheme that checks silence only once per period (up to two bounds) to be seen.
        var observe = bound * 2 + TimeSpan.FromSeconds(quick ? 2 : 5);
        var idle = TimeSpan.FromSeconds(quick ? 20 : 120);
        var dialupBytes = quick ? 160L * 1024 : 2L * 1024 * 1024;
        var dialupSeconds = dialupBytes * 8 / (DialupLink.KbitPerSecond * 1000.0);

        LabScenario Fault(string name, LabFault fault, LabSides mustDetect) => new()
        {
            Name = name,
            Bound = bound,
            Fault = fault,
            MustDetect = mustDetect,
            FaultAfter = settle,
            Observe = observe,
        };

        LabScenario Dialup(string name, bool upload) => new()
        {
            Name = name,
            Bound = DialupBound,
            Link = DialupLink,
            Upload = upload ? dialupBytes : null,
            Download = upload ? null : dialupBytes,
            Hold = TimeSpan.FromSeconds(1),

            // Twice the transfer's time on the wire: a healthy contender finishes well within it.
            Deadline = TimeSpan.FromSeconds(Math.Ceiling(dialupSeconds * 2)) + TimeSpan.FromSeconds(20),
        };

        var forgetful = new NatRouter(TimeSpan.FromHours(1), ForgottenConnectionResponse.Reset);
        return
        [
            Fault("crash", LabFault.KillServer, LabSides.Client),
            Fault("blackhole-idle", LabFault.Blackhole, LabSides.Both),
            Fault("blackhole-busy", LabFault.Blackhole, LabSides.Both) with
            {
                // 1 Mbit/s keeps the upload running through the whole run.
                Link = new LinkShape(1000, TimeSpan.FromMilliseconds(500)),
                Upload = quick ? 64L * 1024 * 1024 : 256L * 1024 * 1024,
                FaultAfter = settle + TimeSpan.FromSeconds(1),
            },
            new LabScenario
            {
                Name = "freeze-short",
                Bound = bound,
                Fault = LabFault.FreezeServer,
                FaultAfter = settle,
                FreezeFor = bound / 2,
                Hold = settle + bound / 2 + bound,
                Deadline = settle + bound / 2 + bound + TimeSpan.FromSeconds(20),
            },
            Fault("freeze-long", LabFault.FreezeServer, LabSides.Client) with { FreezeFor = bound * 2 },
            new LabScenario
            {
                Name = "nat-idle",
                Bound = bound,

                // The mapping expires after well under half the idle period unless something crosses it.
                Router = new NatRouter(idle / 4, ForgottenConnectionResponse.Drop),
                Delay = idle,
                Upload = 16 * 1024,
                Hold = TimeSpan.FromSeconds(1),
                Deadline = idle + bound * 2 + TimeSpan.FromSeconds(20),
            },
            Fault("nat-forget", LabFault.ForgetNat, LabSides.Both) with { Variant = "rst", Router = forgetful },
            Fault("nat-forget", LabFault.ForgetNat, LabSides.Both) with
            {
                Variant = "drop",
                Router = forgetful with { Response = ForgottenConnectionResponse.Drop },
            },
            Dialup("dialup-upload", upload: true),
            Dialup("dialup-download", upload: false),
        ];
    }

    /// <summary>The scenarios named in <paramref name="names"/> (all when empty), in catalogue order.</summary>
    /// <param name="quick">Quick or full parameters.</param>
    /// <param name="names">Scenario names; every one must exist.</param>
    /// <returns>The selection.</returns>
    /// <exception cref="ArgumentException">A name is not a scenario.</exception>
    public static IReadOnlyList<LabScenario> Select(bool quick, IReadOnlyCollection<string> names)
    {
        ArgumentNullException.ThrowIfNull(names);
        var unknown = names.Where(n => !Names.Contains(n, StringComparer.Ordinal)).ToList();
        if (unknown.Count > 0)
        {
            throw new ArgumentException($"unknown scenario {string.Join(", ", unknown)}; known: {string.Join(", ", Names)}", nameof(names));
        }

        var all = Create(quick);
        return names.Count == 0 ? all : all.Where(s => names.Contains(s.Name, StringComparer.Ordinal)).ToList();
    }
}
