using Tether.Lab.Netns;

namespace Tether.Lab.Contenders;

/// <summary>
/// Real Foolscap (Debian's python3-foolscap, 21.7) through <c>foolscap_peer.py</c>: keepaliveTimeout set to the
/// keepalive interval and disconnectTimeout to the bound; uploads and downloads stream as 16 KiB remote calls, 16 in
/// flight.
/// </summary>
public sealed class FoolscapContender : LabContender
{
    /// <summary>Debian's interpreter: python3-foolscap installs for it, not for whatever python3 PATH finds first.</summary>
    private const string Python = "/usr/bin/python3";

    private static readonly string Script = Path.Combine(AppContext.BaseDirectory, "Contenders", "foolscap_peer.py");

    private readonly Lazy<string?> _unavailable = new(Probe);

    /// <inheritdoc />
    public override string Name => "foolscap";

    /// <inheritdoc />
    public override string? BoundNote => "keepaliveTimeout = keepalive, disconnectTimeout = bound";

    /// <inheritdoc />
    public override string? Unavailable() => _unavailable.Value;

    /// <inheritdoc />
    public override LaunchCommand Listen(PeerPlan plan) => new(Python, [Script, "listen", .. PeerArguments(plan, connecting: false)]);

    /// <inheritdoc />
    public override LaunchCommand Connect(PeerPlan plan) => new(Python, [Script, "connect", .. PeerArguments(plan, connecting: true)]);

    private static string? Probe()
    {
        if (!File.Exists(Script))
        {
            return $"{Script} is missing";
        }

        var probe = ProcessRunner.TryRun(Python, ["-c", "import foolscap"], TimeSpan.FromSeconds(20));
        return probe is { Succeeded: true } ? null : "Foolscap is not installed for /usr/bin/python3 (Debian: apt-get install python3-foolscap)";
    }
}
