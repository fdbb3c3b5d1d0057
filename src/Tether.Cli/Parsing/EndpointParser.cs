using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;

namespace Tether.Cli.Parsing;

/// <summary>
/// Parses <c>IP:PORT</c> endpoints: <c>127.0.0.1:7000</c>, <c>0.0.0.0:7000</c>, <c>[::1]:7000</c>. The port is
/// required; host names are not resolved (this tool talks to lab addresses).
/// </summary>
internal static class EndpointParser
{
    /// <summary>Describes the accepted forms, for help texts and error messages.</summary>
    public const string FormatHelp = "IP:PORT, e.g. 127.0.0.1:7000 or [::1]:7000";

    /// <summary>Parses <paramref name="text"/> without throwing.</summary>
    /// <param name="text">The text.</param>
    /// <param name="allowPortZero">Whether port 0 (pick a free port, for listening) is accepted.</param>
    /// <param name="endpoint">The endpoint when the text is valid.</param>
    /// <param name="error">Why the text is invalid, otherwise null.</param>
    /// <returns>True when valid.</returns>
    public static bool TryParse(string? text, bool allowPortZero, [NotNullWhen(true)] out IPEndPoint? endpoint, [NotNullWhen(false)] out string? error)
    {
        endpoint = null;
        var span = text.AsSpan().Trim();
        ReadOnlySpan<char> host;
        ReadOnlySpan<char> port;
        if (span.StartsWith('['))
        {
            var close = span.IndexOf("]:", StringComparison.Ordinal);
            if (close < 0)
            {
                error = $"'{text}' is not an endpoint; expected {FormatHelp}";
                return false;
            }

            host = span[1..close];
            port = span[(close + 2)..];
        }
        else
        {
            var colon = span.LastIndexOf(':');
            if (colon < 0 || span[..colon].Contains(':'))
            {
                error = $"'{text}' is not an endpoint; expected {FormatHelp} (IPv6 addresses go in brackets)";
                return false;
            }

            host = span[..colon];
            port = span[(colon + 1)..];
        }

        if (!IPAddress.TryParse(host, out var address))
        {
            error = $"'{host}' in '{text}' is not an IP address; expected {FormatHelp}";
            return false;
        }

        if (port.IsEmpty || port.ContainsAnyExceptInRange('0', '9') || !int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var number)
            || number > IPEndPoint.MaxPort || (number == 0 && !allowPortZero))
        {
            error = $"'{port}' in '{text}' is not a valid port (1..65535{(allowPortZero ? ", or 0 for any free port" : string.Empty)})";
            return false;
        }

        endpoint = new IPEndPoint(address, number);
        error = null;
        return true;
    }
}
