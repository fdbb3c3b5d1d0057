using System.Net;
using Tether.Remoting;
using Tether.Remoting.Login;

namespace Tether.Hosting;

/// <summary>Settings of a <see cref="TetherServer"/>.</summary>
public sealed class TetherServerOptions
{
    /// <summary>Where to listen (default: loopback, a free port).</summary>
    public IPEndPoint Endpoint { get; set; } = new(IPAddress.Loopback, 0);

    /// <summary>Connection settings: liveness, limits, TLS, logging.</summary>
    public TetherConnectionOptions Connection { get; set; } = new();

    /// <summary>Object-layer settings: allowed types, table limits.</summary>
    public RemotingOptions Remoting { get; set; } = new();

    /// <summary>The wire protocol: <see cref="RemotingProtocol.Native"/> (default) or Twisted PB (Tether.Pb's <c>TwistedPb.Protocol</c>).</summary>
    public RemotingProtocol Protocol { get; set; } = RemotingProtocol.Native;

    /// <summary>The root object every peer reaches without logging in; leave null when <see cref="Login"/> is set.</summary>
    public IReferenceable? Root { get; set; }

    /// <summary>Login: the root becomes a login endpoint and a peer reaches nothing else before it logs in.</summary>
    public LoginOptions? Login { get; set; }

    /// <summary>Checks the settings.</summary>
    /// <exception cref="ArgumentException">Both or a broken part of root and login, or an invalid nested option.</exception>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Endpoint);
        ArgumentNullException.ThrowIfNull(Connection);
        ArgumentNullException.ThrowIfNull(Remoting);
        ArgumentNullException.ThrowIfNull(Protocol);
        if (Root is not null && Login is not null)
        {
            throw new ArgumentException("Set either Root (open to every peer) or Login (a root reached only through login), not both.", nameof(Root));
        }

        Connection.Validate();
        Remoting.Validate();
        Protocol.Validate(Connection, Login);
        Login?.Validate();
    }
}
