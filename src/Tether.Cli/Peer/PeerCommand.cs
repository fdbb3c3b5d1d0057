using System.CommandLine;
using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Tether.Cli.Output;
using Tether.Cli.Parsing;

namespace Tether.Cli.Peer;

/// <summary>
/// <c>tether peer listen</c> and <c>tether peer connect</c>: two ends of a Tether connection that move pseudo-random
/// payloads, hold connections idle, and report every step as JSON lines on stdout (library warnings go to stderr).
/// </summary>
internal static class PeerCommand
{
    private const string Formats = """
        Formats: DUR is 250ms, 3s, 2m, 1h, 1m30s or a plain number of seconds; BYTES is 123, 64KB, 2MB, 1GB
        (binary units: 1KB = 1KiB = 1024 bytes); IP:PORT is 127.0.0.1:7000 or [::1]:7000.
        Output: one JSON object per line on stdout, each with "t" (seconds since the process started) and "event".
        """;

    private const string ConnectExitCodes = """
        Exit codes:
          0    every requested transfer was confirmed by the listener (same length and SHA-256), and the
               connection then ended normally: this side closed it when --hold ran out, or, without --hold,
               the listener closed it in order (peer_closed).
          2    bad arguments.
          3    the connection could not be made or was lost (any other disconnect, including one before a
               bounded --hold ran out), or a transfer was refused or not confirmed intact.
          130  interrupted (SIGINT/SIGTERM) before the transfers completed; interrupted afterwards: 0.
        Note: a killed process's kernel often closes its sockets with a FIN, which looks like peer_closed;
        use a bounded --hold when a vanished peer must count as a failure.
        """;

    /// <summary>Creates the <c>peer</c> command with its subcommands.</summary>
    /// <param name="output">The JSON-lines output.</param>
    /// <returns>The command.</returns>
    public static Command Create(JsonLinesWriter output)
    {
        var peer = new Command("peer", "Run one end of a Tether connection: listen for peers or connect to one, move payloads, report events as JSON lines.");
        peer.Subcommands.Add(CreateListen(output));
        peer.Subcommands.Add(CreateConnect(output));
        return peer;
    }

    private static Command CreateListen(JsonLinesWriter output)
    {
        var common = new ConnectionOptions(listening: true);
        var echo = new Option<bool>("--echo")
        {
            Description = "Send back every message on the default channel that is not a control request (a download request), as one message of the same bytes.",
        };
        var command = new Command(
            "listen",
            "Accept connections until killed (SIGINT/SIGTERM closes them in order and exits 0). Receives uploads, serves download requests, reports each connection's events with \"conn\".\n\n" + Formats);
        common.AddTo(command);
        command.Options.Add(echo);
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var loggers = common.CreateLoggerFactory(parse);
            if (!common.TryCreateConnectionOptions(parse, loggers, "tether peer listen", out var options))
            {
                return ExitCodes.Usage;
            }

            // Uploads are streamed and hashed, never held in memory: accept any size.
            options.MaxMessageSize = long.MaxValue;
            var listener = new PeerListener(parse.GetRequiredValue(common.Endpoint), parse.GetValue(echo), options, output);
            return await listener.RunAsync(cancellationToken);
        });
        return command;
    }

    private static Command CreateConnect(JsonLinesWriter output)
    {
        var common = new ConnectionOptions(listening: false);
        var upload = CliValueOptions.ByteSize("--upload", "Send this many pseudo-random bytes to the listener as one message (chunked by the library); completed once the listener confirms length and SHA-256.");
        var download = CliValueOptions.ByteSize("--download", "Ask the listener to send this many pseudo-random bytes as one message; completed once length and SHA-256 are verified. Runs concurrently with --upload.");
        var delay = CliValueOptions.Duration("--delay", "Keep the new connection idle this long before starting the transfers (a call after a long idle period).");
        var hold = CliValueOptions.Duration("--hold", "After the transfers, keep the connection open and idle this long, then close it in order. Default: until the peer goes away.");
        var connectTimeout = CliValueOptions.Duration("--connect-timeout", "Give up if TCP connect plus handshake take longer. Default 10s.");
        var command = new Command(
            "connect",
            "Connect to a listener, run the requested transfers, hold the connection, close it; report events as JSON lines.\n\n" + Formats + "\n\n" + ConnectExitCodes);
        common.AddTo(command);
        command.Options.Add(upload);
        command.Options.Add(download);
        command.Options.Add(delay);
        command.Options.Add(hold);
        command.Options.Add(connectTimeout);
        command.SetAction(async (parse, cancellationToken) =>
        {
            const string Name = "tether peer connect";
            using var loggers = common.CreateLoggerFactory(parse);
            if (!common.TryCreateConnectionOptions(parse, loggers, Name, out var options))
            {
                return ExitCodes.Usage;
            }

            var timeout = parse.GetValue(connectTimeout) ?? TimeSpan.FromSeconds(10);
            if (timeout <= TimeSpan.Zero)
            {
                return UsageError(Name, "--connect-timeout must be positive");
            }

            var downloadBytes = parse.GetValue(download);

            // The download arrives as one message: accept one of its size.
            options.MaxMessageSize = Math.Max(options.MaxMessageSize, downloadBytes ?? 0);
            var request = new PeerConnectRequest(parse.GetRequiredValue(common.Endpoint), parse.GetValue(upload), downloadBytes, parse.GetValue(hold), timeout, parse.GetValue(delay) ?? TimeSpan.Zero);
            using var connector = new PeerConnector(request, options, output);
            return await connector.RunAsync(cancellationToken);
        });
        return command;
    }

    private static int UsageError(string command, string message)
    {
        Console.Error.WriteLine($"{command}: {message}");
        return ExitCodes.Usage;
    }

    /// <summary>The options both ends share, mapped onto <see cref="TetherConnectionOptions"/>.</summary>
    private sealed class ConnectionOptions
    {
        private static readonly TetherConnectionOptions Defaults = new();

        public ConnectionOptions(bool listening)
        {
            Endpoint = CliValueOptions.Endpoint(
                "--endpoint",
                listening ? "Address to listen on (port 0 picks a free port; the listening event shows it)." : "Address of the listener.",
                allowPortZero: listening);
            Keepalive = CliValueOptions.Duration(
                "--keepalive",
                $"Send a PING when this side has sent nothing for this long. Default {Format(Defaults.KeepaliveInterval)}, or a third of --dead-timeout when that is smaller.");
            DeadTimeout = CliValueOptions.Duration(
                "--dead-timeout",
                $"Declare the peer dead (dead_peer) after this long without any inbound byte. Default {Format(Defaults.DeadTimeout)}, or three times --keepalive when that is larger.");
            ChunkSize = CliValueOptions.ByteSize(
                "--chunk-size",
                $"Largest DATA frame this side sends (default {Defaults.ChunkSize / 1024}KB). The peer's frame limit caps it: use the same value on both ends above {Defaults.MaxFramePayload / 1024}KB.");
            LogLevel = new Option<LogLevel>("--log-level")
            {
                Description = "Library log level on stderr (trace, debug, information, warning, error, critical, none).",
                DefaultValueFactory = _ => Microsoft.Extensions.Logging.LogLevel.Warning,
            };
        }

        public Option<IPEndPoint> Endpoint { get; }

        public Option<TimeSpan?> Keepalive { get; }

        public Option<TimeSpan?> DeadTimeout { get; }

        public Option<long?> ChunkSize { get; }

        public Option<LogLevel> LogLevel { get; }

        public void AddTo(Command command)
        {
            command.Options.Add(Endpoint);
            command.Options.Add(Keepalive);
            command.Options.Add(DeadTimeout);
            command.Options.Add(ChunkSize);
            command.Options.Add(LogLevel);
        }

        public ILoggerFactory CreateLoggerFactory(ParseResult parse)
        {
            var level = parse.GetValue(LogLevel);
            return LoggerFactory.Create(builder => builder
                .SetMinimumLevel(level)
                .AddConsole(console => console.LogToStandardErrorThreshold = Microsoft.Extensions.Logging.LogLevel.Trace)
                .AddSimpleConsole(format =>
                {
                    format.SingleLine = true;
                    format.TimestampFormat = "HH:mm:ss.fff ";
                    format.ColorBehavior = LoggerColorBehavior.Disabled;
                }));
        }

        /// <summary>Builds the connection options; on an invalid combination writes the reason to stderr.</summary>
        public bool TryCreateConnectionOptions(ParseResult parse, ILoggerFactory loggers, string command, out TetherConnectionOptions options)
        {
            options = new TetherConnectionOptions { LoggerFactory = loggers };
            var keepalive = parse.GetValue(Keepalive);
            var deadTimeout = parse.GetValue(DeadTimeout);
            options.KeepaliveInterval = keepalive ?? (deadTimeout is { } d && d / 3 < Defaults.KeepaliveInterval ? d / 3 : Defaults.KeepaliveInterval);
            options.DeadTimeout = deadTimeout ?? (keepalive is { } k && k * 3 > Defaults.DeadTimeout ? k * 3 : Defaults.DeadTimeout);
            if (options.KeepaliveInterval <= TimeSpan.Zero)
            {
                UsageError(command, "--keepalive must be positive");
                return false;
            }

            if (options.DeadTimeout <= options.KeepaliveInterval)
            {
                UsageError(command, $"--dead-timeout ({Format(options.DeadTimeout)}) must be longer than --keepalive ({Format(options.KeepaliveInterval)})");
                return false;
            }

            if (parse.GetValue(ChunkSize) is { } chunk)
            {
                if (chunk is < TetherConnectionOptions.MinChunkSize or > TetherConnectionOptions.MaxChunkSizeLimit)
                {
                    UsageError(command, $"--chunk-size must be within {TetherConnectionOptions.MinChunkSize}..{TetherConnectionOptions.MaxChunkSizeLimit} bytes");
                    return false;
                }

                // Let the peer send frames as large as ours, and keep the window at least one frame.
                options.ChunkSize = (int)chunk;
                options.MaxFramePayload = Math.Max(options.MaxFramePayload, (int)chunk);
                options.ChannelWindow = Math.Max(options.ChannelWindow, options.MaxFramePayload);
            }

            try
            {
                options.Validate();
                return true;
            }
            catch (ArgumentException e)
            {
                UsageError(command, e.Message);
                return false;
            }
        }

        private static string Format(TimeSpan value) =>
            value.TotalSeconds >= 1 && value.Milliseconds == 0 ? $"{value.TotalSeconds:0}s" : $"{value.TotalMilliseconds:0.###}ms";
    }
}
