using System.CommandLine;
using System.Net;
using Tether.Cli.Parsing;

namespace Tether.Cli.Lab.Contenders;

/// <summary>The liveness settings a contender end was given.</summary>
/// <param name="Keepalive">The keepalive interval.</param>
/// <param name="Bound">The dead bound.</param>
internal sealed record ContenderLiveness(TimeSpan Keepalive, TimeSpan Bound);

/// <summary><c>tether peer</c>'s options, as far as the contenders use them.</summary>
internal sealed class ContenderOptions(bool listening)
{
    public Option<IPEndPoint> Endpoint { get; } = CliValueOptions.Endpoint("--endpoint", "Listen on / connect to this address.", allowPortZero: listening);

    public Option<TimeSpan?> Keepalive { get; } = CliValueOptions.Duration("--keepalive", "Keepalive interval (seed-2005: silence before a ping).");

    public Option<TimeSpan?> DeadTimeout { get; } = CliValueOptions.Duration("--dead-timeout", "The bound (seed-2005: how long a ping's answer may take).");

    public Option<long?> Upload { get; } = CliValueOptions.ByteSize("--upload", "Bytes to upload.");

    public Option<long?> Download { get; } = CliValueOptions.ByteSize("--download", "Bytes to download.");

    public Option<TimeSpan?> Delay { get; } = CliValueOptions.Duration("--delay", "Idle time before the transfers.");

    public Option<TimeSpan?> Hold { get; } = CliValueOptions.Duration("--hold", "Hold time after the transfers; default until the peer goes away.");

    public void AddTo(Command command)
    {
        command.Options.Add(Endpoint);
        command.Options.Add(Keepalive);
        command.Options.Add(DeadTimeout);
        if (!listening)
        {
            command.Options.Add(Upload);
            command.Options.Add(Download);
            command.Options.Add(Delay);
            command.Options.Add(Hold);
        }
    }

    public ContenderLiveness Liveness(ParseResult parse)
    {
        var bound = parse.GetValue(DeadTimeout) ?? TimeSpan.FromSeconds(45);
        return new(parse.GetValue(Keepalive) ?? bound / 3, bound);
    }
}
