using System.Net;
using Tether.Remoting;
using Tether.Remoting.Login;

namespace Tether.Hosting;

/// <summary>Settings of a <see cref="TetherClient"/>.</summary>
public sealed class TetherClientOptions
{
    /// <summary>The server's address. Required.</summary>
    public EndPoint? Endpoint { get; set; }

    /// <summary>Connection settings: liveness, limits, TLS, logging.</summary>
    public TetherConnectionOptions Connection { get; set; } = new();

    /// <summary>Object-layer settings: allowed types, table limits.</summary>
    public RemotingOptions Remoting { get; set; } = new();

    /// <summary>The wire protocol: <see cref="RemotingProtocol.Native"/> (default) or Twisted PB (Tether.Pb's <c>TwistedPb.Protocol</c>).</summary>
    public RemotingProtocol Protocol { get; set; } = RemotingProtocol.Native;

    /// <summary>Credentials to log in with after every (re)connect; null when the server has no login.</summary>
    public Credentials? Credentials { get; set; }

    /// <summary>The object handed to the server at login, for it to call back (PB's "mind").</summary>
    public IReferenceable? Mind { get; set; }

    /// <summary>Reconnect policy.</summary>
    public ReconnectOptions Reconnect { get; set; } = new();

    /// <summary>The clock for backoff delays (tests use a fake one).</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Checks the settings.</summary>
    /// <exception cref="ArgumentException">No endpoint, or an invalid nested option.</exception>
    public void Validate()
    {
        if (Endpoint is null)
        {
            throw new ArgumentException("TetherClientOptions.Endpoint is required.", nameof(Endpoint));
        }

        ArgumentNullException.ThrowIfNull(Connection);
        ArgumentNullException.ThrowIfNull(Remoting);
        ArgumentNullException.ThrowIfNull(Protocol);
        ArgumentNullException.ThrowIfNull(Reconnect);
        ArgumentNullException.ThrowIfNull(TimeProvider);
        Connection.Validate();
        Remoting.Validate();
        Protocol.Validate(Connection, serverLogin: null);
        Reconnect.Validate();
    }
}
