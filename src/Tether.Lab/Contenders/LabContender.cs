using System.Globalization;
using System.Net;

namespace Tether.Lab.Contenders;

/// <summary>A program to start: the executable and its arguments.</summary>
/// <param name="FileName">The executable.</param>
/// <param name="Arguments">Its arguments.</param>
public sealed record LaunchCommand(string FileName, IReadOnlyList<string> Arguments);

/// <summary>What one end of a lab connection is asked to do.</summary>
/// <param name="Endpoint">The server's address (the client connects to it, the server listens on its port).</param>
/// <param name="Bound">The dead bound to configure.</param>
/// <param name="Keepalive">The keepalive interval to configure.</param>
/// <param name="Upload">Bytes the client uploads, or null.</param>
/// <param name="Download">Bytes the client downloads, or null.</param>
/// <param name="Delay">Idle time before the client's transfers.</param>
/// <param name="Hold">How long the client holds the connection after its transfers; null until the run ends.</param>
public sealed record PeerPlan(IPEndPoint Endpoint, TimeSpan Bound, TimeSpan Keepalive, long? Upload, long? Download, TimeSpan Delay, TimeSpan? Hold);

/// <summary>
/// A system the lab puts through its scenarios. Each end runs as its own process that reports JSON lines on stdout
/// with the same events as <c>tether peer</c>: <c>listening</c>, <c>connected</c>, <c>progress</c> (direction, bytes),
/// <c>completed</c> (direction, bytes, optional <c>intact</c>), <c>disconnected</c> (reason).
/// </summary>
public abstract class LabContender
{
    /// <summary>The name in tables, JSON and <c>--contender</c>.</summary>
    public abstract string Name { get; }

    /// <summary>Whether the contender is configured with the dead bound (a plain socket is not).</summary>
    public virtual bool HasBound => true;

    /// <summary>What the bound means for this contender, for the table's notes; null when nothing needs saying.</summary>
    public virtual string? BoundNote => null;

    /// <summary>Why the contender cannot run on this machine, or null when it can.</summary>
    /// <returns>The reason, or null.</returns>
    public virtual string? Unavailable() => null;

    /// <summary>The command for the listening end.</summary>
    /// <param name="plan">What to do.</param>
    /// <returns>The command.</returns>
    public abstract LaunchCommand Listen(PeerPlan plan);

    /// <summary>The command for the connecting end.</summary>
    /// <param name="plan">What to do.</param>
    /// <returns>The command.</returns>
    public abstract LaunchCommand Connect(PeerPlan plan);

    /// <summary>The arguments every contender that runs from the <c>tether</c> CLI shares, <c>tether peer</c>'s spelling.</summary>
    /// <param name="plan">What to do.</param>
    /// <param name="connecting">True for the connecting end.</param>
    /// <returns>The arguments.</returns>
    protected static IEnumerable<string> PeerArguments(PeerPlan plan, bool connecting)
    {
        ArgumentNullException.ThrowIfNull(plan);
        yield return "--endpoint";
        yield return plan.Endpoint.ToString();
        yield return "--keepalive";
        yield return Milliseconds(plan.Keepalive);
        yield return "--dead-timeout";
        yield return Milliseconds(plan.Bound);
        if (!connecting)
        {
            yield break;
        }

        foreach (var (name, bytes) in new[] { ("--upload", plan.Upload), ("--download", plan.Download) })
        {
            if (bytes is { } b)
            {
                yield return name;
                yield return b.ToString(CultureInfo.InvariantCulture);
            }
        }

        if (plan.Delay > TimeSpan.Zero)
        {
            yield return "--delay";
            yield return Milliseconds(plan.Delay);
        }

        yield return "--hold";

        // "Until the run ends": longer than any run, and bounded, so a connector the lab failed to kill still ends.
        yield return Milliseconds(plan.Hold ?? TimeSpan.FromHours(1));
    }

    private static string Milliseconds(TimeSpan value) =>
        ((long)Math.Round(value.TotalMilliseconds)).ToString(CultureInfo.InvariantCulture) + "ms";
}

/// <summary>How to start the <c>tether</c> CLI: the dotnet host and the CLI assembly, or an apphost.</summary>
/// <param name="FileName">The executable.</param>
/// <param name="LeadingArguments">Arguments before the command (the assembly path for <c>dotnet</c>).</param>
public sealed record CliHost(string FileName, IReadOnlyList<string> LeadingArguments)
{
    /// <summary>The command that runs <c>tether</c> with <paramref name="arguments"/>.</summary>
    /// <param name="arguments">The CLI arguments.</param>
    /// <returns>The command.</returns>
    public LaunchCommand Command(IEnumerable<string> arguments) => new(FileName, [.. LeadingArguments, .. arguments]);
}

/// <summary>Tether itself: <c>tether peer listen</c> and <c>tether peer connect</c>.</summary>
/// <param name="cli">How to start the CLI.</param>
public sealed class TetherContender(CliHost cli) : LabContender
{
    /// <inheritdoc />
    public override string Name => "tether";

    /// <inheritdoc />
    public override string? BoundNote => "DeadTimeout = bound, KeepaliveInterval = bound / 3 (each side pings when its own outbound is idle)";

    /// <inheritdoc />
    public override LaunchCommand Listen(PeerPlan plan) => cli.Command(["peer", "listen", .. PeerArguments(plan, connecting: false)]);

    /// <inheritdoc />
    public override LaunchCommand Connect(PeerPlan plan) => cli.Command(["peer", "connect", .. PeerArguments(plan, connecting: true)]);
}

/// <summary>
/// A contender implemented in the <c>tether</c> CLI as the hidden command <c>tether lab contender NAME listen|connect</c>
/// with <c>tether peer</c>'s options (see <c>src/Tether.Cli/Lab/Contenders</c>).
/// </summary>
/// <param name="cli">How to start the CLI.</param>
/// <param name="name">The contender's name.</param>
/// <param name="hasBound">Whether it uses the bound.</param>
/// <param name="boundNote">What the bound means for it.</param>
public sealed class CliContender(CliHost cli, string name, bool hasBound, string? boundNote) : LabContender
{
    /// <inheritdoc />
    public override string Name => name;

    /// <inheritdoc />
    public override bool HasBound => hasBound;

    /// <inheritdoc />
    public override string? BoundNote => boundNote;

    /// <inheritdoc />
    public override LaunchCommand Listen(PeerPlan plan) => cli.Command(["lab", "contender", name, "listen", .. PeerArguments(plan, connecting: false)]);

    /// <inheritdoc />
    public override LaunchCommand Connect(PeerPlan plan) => cli.Command(["lab", "contender", name, "connect", .. PeerArguments(plan, connecting: true)]);
}
