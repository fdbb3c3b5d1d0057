using System.Buffers;

namespace Tether.Framing;

/// <summary>
/// A whole received message. Its payload may point straight into the channel's receive buffers, so dispose it when
/// done: that releases the memory and returns flow-control credit to the sender. Receive the next message on the same
/// channel only after disposing this one.
/// </summary>
public readonly struct TetherMessage : IDisposable, IEquatable<TetherMessage>
{
    private readonly TetherChannel? _owner;
    private readonly long _token;

    internal TetherMessage(TetherChannel owner, long token, ReadOnlySequence<byte> payload)
    {
        _owner = owner;
        _token = token;
        Payload = payload;
    }

    /// <summary>The message bytes; valid until <see cref="Dispose"/>.</summary>
    public ReadOnlySequence<byte> Payload { get; }

    /// <summary>Message length in bytes.</summary>
    public long Length => Payload.Length;

    /// <summary>Copies the payload into a new array (convenience for small messages).</summary>
    /// <returns>The bytes.</returns>
    public byte[] ToArray() => Payload.ToArray();

    /// <summary>Releases the payload and grants the sender credit for it. Further calls do nothing.</summary>
    public void Dispose() => _owner?.ReleaseMessage(_token);

    /// <inheritdoc />
    public bool Equals(TetherMessage other) => ReferenceEquals(_owner, other._owner) && _token == other._token;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is TetherMessage other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(_owner, _token);

    /// <summary>Equality operator.</summary>
    /// <param name="left">Left.</param>
    /// <param name="right">Right.</param>
    /// <returns>True when both refer to the same received message.</returns>
    public static bool operator ==(TetherMessage left, TetherMessage right) => left.Equals(right);

    /// <summary>Inequality operator.</summary>
    /// <param name="left">Left.</param>
    /// <param name="right">Right.</param>
    /// <returns>True when they refer to different messages.</returns>
    public static bool operator !=(TetherMessage left, TetherMessage right) => !left.Equals(right);
}
