using System.Globalization;

namespace Tether.Lab.Netns;

/// <summary>What a NAT router does with a packet of a connection it has no mapping for (expired or flushed).</summary>
public enum ForgottenConnectionResponse
{
    /// <summary>Drop it silently, as most home routers and stateful firewalls do.</summary>
    Drop,

    /// <summary>Answer with a TCP reset, as some routers and firewalls do.</summary>
    Reset,
}

/// <summary>
/// The router namespace of a <see cref="NetnsLab"/>: forwards between A and B, masquerades A behind its own address,
/// and forgets an established connection after <paramref name="EstablishedTimeout"/> of silence (conntrack).
/// </summary>
/// <remarks>
/// Loose pick-up of mid-stream packets (<c>nf_conntrack_tcp_loose</c>) is turned off: a real NAT that lost a mapping
/// cannot recreate it from a data packet, because it no longer knows which inside host the outside port belonged to.
/// Without this, Linux would quietly re-learn the connection and no fault would be visible.
/// </remarks>
/// <param name="EstablishedTimeout">How long an idle established connection stays mapped.</param>
/// <param name="Response">What happens to packets of a connection the router forgot.</param>
public sealed record NatRouter(TimeSpan EstablishedTimeout, ForgottenConnectionResponse Response)
{
    /// <summary>Forgets every mapping at once (<c>conntrack -F</c>), as a router reboot or a full NAT table does.</summary>
    /// <param name="lab">The lab this router belongs to.</param>
    /// <param name="cancellationToken">Cancels the command.</param>
    /// <returns>A task that completes when the table is empty.</returns>
    public static async Task ForgetAllAsync(NetnsLab lab, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(lab);
        await lab.RunInNamespaceAsync(lab.NamespaceRouter, "conntrack", ["-F"], cancellationToken: cancellationToken);
    }

    /// <summary>Installs forwarding, masquerading and the conntrack settings in the router namespace.</summary>
    internal async Task ConfigureAsync(NetnsLab lab, string outsideInterface, CancellationToken cancellationToken)
    {
        var forgotten = Response == ForgottenConnectionResponse.Reset ? "reject with tcp reset" : "drop";

        // Packets from B to the router's address for a forgotten connection reach the router's own input: dropped
        // there in Drop mode; in Reset mode the router's TCP stack, which has no such socket, answers with a reset.
        var input = Response == ForgottenConnectionResponse.Drop
            ? "  chain inbound { type filter hook input priority filter; policy accept; ct state invalid drop; }"
            : string.Empty;
        var script = string.Join(
            '\n',
            $"table inet {lab.Prefix}nat {{",
            $"  chain masq {{ type nat hook postrouting priority srcnat; policy accept; oifname \"{outsideInterface}\" masquerade; }}",
            $"  chain forwarded {{ type filter hook forward priority filter; policy accept; ct state invalid {forgotten}; }}",
            input,
            "}",
            string.Empty);

        // The rules load conntrack into the namespace; only then do its sysctls exist.
        await lab.LoadNftScriptAsync(lab.NamespaceRouter, script, cancellationToken);
        var timeout = Math.Max(1, (int)Math.Ceiling(EstablishedTimeout.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        await lab.RunInNamespaceAsync(
            lab.NamespaceRouter,
            "sysctl",
            ["-q", "-w", "net.ipv4.ip_forward=1", "net.netfilter.nf_conntrack_tcp_loose=0", "net.netfilter.nf_conntrack_tcp_timeout_established=" + timeout],
            cancellationToken: cancellationToken);
    }
}
