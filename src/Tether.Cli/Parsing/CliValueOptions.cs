using System.CommandLine;
using System.CommandLine.Parsing;
using System.Diagnostics.CodeAnalysis;
using System.Net;

namespace Tether.Cli.Parsing;

/// <summary>
/// Factories for options whose values use this tool's formats (DUR, BYTES, IP:PORT), so every command parses and
/// reports them the same way: an invalid value is a parse error naming the option, and the process exits with
/// <see cref="ExitCodes.Usage"/>.
/// </summary>
internal static class CliValueOptions
{
    /// <summary>A duration option (see <see cref="DurationParser"/>); null when absent.</summary>
    /// <param name="name">The option name, e.g. <c>--hold</c>.</param>
    /// <param name="description">Help text.</param>
    /// <returns>The option.</returns>
    public static Option<TimeSpan?> Duration(string name, string description)
    {
        var option = new Option<TimeSpan?>(name) { Description = description, HelpName = "DUR" };
        option.CustomParser = result => Parse<TimeSpan>(result, name, DurationParser.TryParse);
        return option;
    }

    /// <summary>A byte-count option (see <see cref="ByteSizeParser"/>); null when absent.</summary>
    /// <param name="name">The option name, e.g. <c>--upload</c>.</param>
    /// <param name="description">Help text.</param>
    /// <returns>The option.</returns>
    public static Option<long?> ByteSize(string name, string description)
    {
        var option = new Option<long?>(name) { Description = description, HelpName = "BYTES" };
        option.CustomParser = result => Parse<long>(result, name, ByteSizeParser.TryParse);
        return option;
    }

    /// <summary>A required <c>IP:PORT</c> option (see <see cref="EndpointParser"/>).</summary>
    /// <param name="name">The option name, e.g. <c>--endpoint</c>.</param>
    /// <param name="description">Help text.</param>
    /// <param name="allowPortZero">Whether port 0 is accepted (listening on any free port).</param>
    /// <returns>The option.</returns>
    public static Option<IPEndPoint> Endpoint(string name, string description, bool allowPortZero)
    {
        var option = new Option<IPEndPoint>(name) { Description = description, HelpName = "IP:PORT", Required = true };
        option.CustomParser = result =>
        {
            var text = TokenOf(result);
            if (EndpointParser.TryParse(text, allowPortZero, out var endpoint, out var error))
            {
                return endpoint;
            }

            result.AddError($"Invalid value for {name}: {error}.");
            return null;
        };
        return option;
    }

    private delegate bool TryParser<T>(string? text, out T value, [NotNullWhen(false)] out string? error);

    private static T? Parse<T>(ArgumentResult result, string name, TryParser<T> parser)
        where T : struct
    {
        if (parser(TokenOf(result), out var value, out var error))
        {
            return value;
        }

        result.AddError($"Invalid value for {name}: {error}.");
        return null;
    }

    private static string? TokenOf(ArgumentResult result) => result.Tokens.Count > 0 ? result.Tokens[^1].Value : null;
}
