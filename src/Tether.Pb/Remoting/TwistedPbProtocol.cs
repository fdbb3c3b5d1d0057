using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Tether.Hosting;
using Tether.Remoting;
using Tether.Remoting.Login;
using Tether.Transport;

namespace Tether.Pb.Remoting;

/// <summary>
/// Twisted's Perspective Broker (protocol version 6, the "pb" banana dialect) as a <see cref="RemotingProtocol"/>:
/// set <c>TetherServerOptions.Protocol</c> or <c>TetherClientOptions.Protocol</c> to <see cref="TwistedPb.Protocol"/>
/// (or a configured instance) and the same user code talks with Python PB peers. Liveness is Tether's: the keepalive
/// interval and dead timeout of the connection options, with a ping any PB peer answers (see
/// <see cref="PingObject"/>). Not available over PB: TLS, token login, server-side login unless the password store
/// also keeps MD5 digests (<see cref="PbCompatiblePasswordStore"/>: PB's challenge is defined with them), and cancelling
/// a running remote call (PB has no message for it; the caller stops waiting and the answer is dropped).
/// </summary>
public sealed class TwistedPbProtocol : RemotingProtocol
{
    /// <summary>The object the liveness ping calls (default <c>tether.ping</c>, which no peer exports: its "Invalid Object ID" error is the answer).</summary>
    public string PingObject { get; init; } = "tether.ping";

    /// <summary>The method the liveness ping calls (default <c>ping</c>); set both to a method the peer really has, e.g. Buildbot's <c>keepalive</c>, if preferred.</summary>
    public string PingMethod { get; init; } = "ping";

    /// <inheritdoc />
    public override string Name => "twisted-pb";

    internal override void Validate(TetherConnectionOptions connection, LoginOptions? serverLogin)
    {
        if (connection.Tls is not null)
        {
            throw new ArgumentException("Twisted PB runs over plain TCP here; TLS is available with the native protocol only.", nameof(connection));
        }

        if (serverLogin is { Passwords: not IPbPasswordDigests })
        {
            throw new ArgumentException("Server-side login over Twisted PB checks MD5 password digests: set LoginOptions.Passwords to a store that keeps them (PbCompatiblePasswordStore, or your own IPbPasswordDigests).", nameof(serverLogin));
        }
    }

    internal override ISessionListener Listen(IPEndPoint endpoint, TetherConnectionOptions connection, RemotingOptions remoting, Func<object?> rootForNextSession) =>
        new Listener(this, endpoint, connection, remoting, rootForNextSession);

    internal override async Task<TetherSession> ConnectAsync(EndPoint endpoint, TetherConnectionOptions connection, RemotingOptions remoting, CancellationToken cancellationToken)
    {
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(endpoint, cancellationToken).ConfigureAwait(false);
            Configure(socket, connection);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return await PbSession.StartAsync(socket, isClient: true, connection, remoting, this, root: null, cancellationToken).ConfigureAwait(false);
    }

    private static void Configure(Socket socket, TetherConnectionOptions connection) =>
        TcpSocketConfigurator.Apply(socket, connection.Transport, connection.DeadTimeout, connection.LoggerFactory?.CreateLogger<TwistedPbProtocol>());

    /// <summary>Accepts sockets and negotiates PB on each in the background (the same acceptor as native listeners).</summary>
    private sealed class Listener(
        TwistedPbProtocol protocol,
        IPEndPoint endpoint,
        TetherConnectionOptions connection,
        RemotingOptions remoting,
        Func<object?> rootForNextSession) : ISessionListener
    {
        private readonly SocketAcceptor<TetherSession> _acceptor = SocketAcceptor<TetherSession>.Start(
            endpoint,
            backlog: 1024,
            (socket, cancellationToken) => NegotiateAsync(protocol, socket, connection, remoting, rootForNextSession, cancellationToken),
            connection.LoggerFactory?.CreateLogger<TwistedPbProtocol>() ?? NullLogger<TwistedPbProtocol>.Instance);

        public IPEndPoint LocalEndPoint => _acceptor.LocalEndPoint;

        public async Task<TetherSession> AcceptAsync(CancellationToken cancellationToken) =>
            await _acceptor.AcceptAsync(cancellationToken).ConfigureAwait(false);

        public ValueTask DisposeAsync() => _acceptor.DisposeAsync();

        private static async Task<TetherSession?> NegotiateAsync(
            TwistedPbProtocol protocol,
            Socket socket,
            TetherConnectionOptions connection,
            RemotingOptions remoting,
            Func<object?> rootForNextSession,
            CancellationToken cancellationToken)
        {
            Configure(socket, connection);
            try
            {
                return await PbSession.StartAsync(socket, isClient: false, connection, remoting, protocol, rootForNextSession() as IReferenceable, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not (OperationCanceledException or SocketException or ObjectDisposedException))
            {
                // A peer that does not complete PB's negotiation is dropped (PbConnection closed its socket); the
                // acceptor handles the rest.
                return null;
            }
        }
    }
}

/// <summary>Twisted's Perspective Broker for <see cref="RemotingProtocol"/> settings.</summary>
public static class TwistedPb
{
    /// <summary>Twisted PB with default liveness ping settings.</summary>
    public static TwistedPbProtocol Protocol { get; } = new();
}
