using Tether.Pb.Banana;
using Tether.Pb.Jelly;

namespace Tether.Pb.Protocol;

/// <summary>Settings for a <see cref="PbConnection"/>.</summary>
public sealed record PbConnectionOptions
{
    /// <summary>Banana limits for both directions; Twisted's by default.</summary>
    public BananaOptions Banana { get; init; } = BananaOptions.Default;

    /// <summary>The copyable types this connection accepts and sends.</summary>
    public PbTypeRegistry Registry { get; init; } = new();

    /// <summary>How long the dialect and version exchange may take.</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(30);
}
