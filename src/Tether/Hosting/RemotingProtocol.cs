using System.Net;
using Tether.Remoting;

namespace Tether.Hosting;

/// <summary>
/// The wire protocol a <see cref="TetherServer"/> or <see cref="TetherClient"/> speaks. User code is the same for
/// every protocol: referenceables, remote references, copyables, cacheables and their replicas, disconnect
/// notifications and login work alike. <see cref="Native"/> is Tether's own protocol; Tether.Pb adds Twisted's
/// Perspective Broker (<c>TwistedPb.Protocol</c>), to talk with Python PB peers.
/// </summary>
public abstract class RemotingProtocol
{
    /// <summary>Only the protocols Tether ships derive from this class.</summary>
    internal RemotingProtocol()
    {
    }

    /// <summary>Tether's native protocol (the default): framing, channels, liveness and MessagePack remoting.</summary>
    public static RemotingProtocol Native { get; } = new NativeProtocol();

    /// <summary>A short name for logs.</summary>
    public abstract string Name { get; }

    /// <inheritdoc />
    public override string ToString() => Name;

    /// <summary>Checks that the server or client settings can be honoured by this protocol.</summary>
    /// <param name="connection">The connection settings.</param>
    /// <param name="serverLogin">A server's login settings; null for a client or a server without login.</param>
    /// <exception cref="ArgumentException">A setting this protocol cannot honour.</exception>
    internal virtual void Validate(TetherConnectionOptions connection, Remoting.Login.LoginOptions? serverLogin)
    {
    }

    /// <summary>Binds <paramref name="endpoint"/> and returns a listener whose accepted connections are sessions.</summary>
    internal abstract ISessionListener Listen(IPEndPoint endpoint, TetherConnectionOptions connection, RemotingOptions remoting, Func<object?> rootForNextSession);

    /// <summary>Connects to <paramref name="endpoint"/> and starts a session (no login yet).</summary>
    internal abstract Task<TetherSession> ConnectAsync(EndPoint endpoint, TetherConnectionOptions connection, RemotingOptions remoting, CancellationToken cancellationToken);
}

/// <summary>A bound server socket that hands out sessions.</summary>
internal interface ISessionListener : IAsyncDisposable
{
    /// <summary>The bound address (with the actual port).</summary>
    IPEndPoint LocalEndPoint { get; }

    /// <summary>The next session; throws <see cref="OperationCanceledException"/> or <see cref="System.Threading.Channels.ChannelClosedException"/> once stopped.</summary>
    Task<TetherSession> AcceptAsync(CancellationToken cancellationToken);
}

/// <summary>Tether's native protocol.</summary>
internal sealed class NativeProtocol : RemotingProtocol
{
    public override string Name => "tether";

    internal override ISessionListener Listen(IPEndPoint endpoint, TetherConnectionOptions connection, RemotingOptions remoting, Func<object?> rootForNextSession) =>
        new Listener(TetherListener.Start(endpoint, connection), remoting, rootForNextSession);

    internal override async Task<TetherSession> ConnectAsync(EndPoint endpoint, TetherConnectionOptions connection, RemotingOptions remoting, CancellationToken cancellationToken)
    {
        var established = await TetherConnector.ConnectAsync(endpoint, connection, cancellationToken).ConfigureAwait(false);
        return TetherSession.Start(established, remoting);
    }

    private sealed class Listener(TetherListener listener, RemotingOptions remoting, Func<object?> rootForNextSession) : ISessionListener
    {
        public IPEndPoint LocalEndPoint => listener.LocalEndPoint;

        public async Task<TetherSession> AcceptAsync(CancellationToken cancellationToken)
        {
            var connection = await listener.AcceptAsync(cancellationToken).ConfigureAwait(false);
            return TetherSession.Start(connection, remoting, rootForNextSession());
        }

        public ValueTask DisposeAsync() => listener.DisposeAsync();
    }
}
