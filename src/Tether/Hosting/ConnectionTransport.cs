using System.Net;
using System.Net.Sockets;
using Tether.Transport;

namespace Tether.Hosting;

/// <summary>The transport the hosting entry points put under a connection: TCP, inside TLS when the options ask for it.</summary>
internal static class ConnectionTransport
{
    /// <summary>For a socket the listener accepted: this side is the TLS server.</summary>
    public static ITransport ForAccepted(Socket socket, TetherConnectionOptions options) =>
        Create(socket, options, static (tcp, tls) => SslStreamTransport.StartServer(tcp, tls));

    /// <summary>For a socket connected to <paramref name="endpoint"/>: this side is the TLS client.</summary>
    public static ITransport ForConnected(Socket socket, EndPoint endpoint, TetherConnectionOptions options) =>
        Create(socket, options, (tcp, tls) => SslStreamTransport.StartClient(tcp, tls, tls.TargetHost ?? HostOf(endpoint)));

    private static ITransport Create(Socket socket, TetherConnectionOptions options, Func<SocketTransport, TetherTlsOptions, ITransport> startTls)
    {
        var tcp = new SocketTransport(socket, options.Transport.NotSentLowWatermark);
        if (options.Tls is not { } tls)
        {
            return tcp;
        }

        try
        {
            return startTls(tcp, tls);
        }
        catch
        {
            // A certificate that cannot be used (no private key, unreadable) must not leak the socket.
            tcp.Dispose();
            throw;
        }
    }

    private static string HostOf(EndPoint endpoint) => endpoint switch
    {
        DnsEndPoint dns => dns.Host,
        IPEndPoint ip => ip.Address.ToString(),
        _ => endpoint.ToString() ?? string.Empty,
    };
}
