namespace Tether.Framing;

/// <summary>Receives what <see cref="FrameDecoder"/> decodes. DATA payloads arrive in pieces as bytes arrive.</summary>
internal interface IFrameSink
{
    /// <summary>The peer's preamble arrived and is well formed.</summary>
    void OnHandshake(Handshake handshake);

    /// <summary>A DATA header arrived; its payload follows in zero or more <see cref="OnDataPayload"/> calls.</summary>
    void OnDataStart(FrameHeader header);

    /// <summary>A piece of the current DATA frame's payload.</summary>
    void OnDataPayload(ReadOnlySpan<byte> payload);

    /// <summary>The current DATA frame is complete.</summary>
    void OnDataEnd();

    /// <summary>A complete control frame (CREDIT, PING, PONG, CLOSE, CHANNEL_CLOSE).</summary>
    void OnControl(FrameHeader header, ReadOnlySpan<byte> payload);
}
