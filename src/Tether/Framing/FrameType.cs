namespace Tether.Framing;

/// <summary>Frame types of the native protocol, version 1. See docs/protocol.md.</summary>
public enum FrameType : byte
{
    /// <summary>A chunk of a message on a channel; counts against the channel's flow-control window.</summary>
    Data = 0x01,

    /// <summary>Grants the peer more bytes of window on a channel (4-byte increment). Priority lane.</summary>
    Credit = 0x02,

    /// <summary>Heartbeat with an 8-byte opaque echo value. Priority lane.</summary>
    Ping = 0x03,

    /// <summary>Answer to a PING, echoing its 8 bytes. Priority lane.</summary>
    Pong = 0x04,

    /// <summary>The sender is closing the connection: 1-byte code and a UTF-8 reason. Priority lane.</summary>
    Close = 0x05,

    /// <summary>The sender will send nothing more on this channel. Sent after the channel's queued data.</summary>
    ChannelClose = 0x06,
}

/// <summary>Flag bits of a frame header.</summary>
[Flags]
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1711", Justification = "The wire field is called flags.")]
public enum FrameFlags : byte
{
    /// <summary>No flags.</summary>
    None = 0,

    /// <summary>DATA: this frame ends its message.</summary>
    EndOfMessage = 0x01,

    /// <summary>DATA (empty payload): the message in progress on this channel is abandoned by its sender.</summary>
    AbortMessage = 0x02,
}

/// <summary>Codes carried by a CLOSE frame.</summary>
public enum CloseCode : byte
{
    /// <summary>Orderly close requested by the application.</summary>
    Normal = 0,

    /// <summary>The sender received bytes that break the protocol.</summary>
    ProtocolViolation = 1,

    /// <summary>The sender's process is shutting down.</summary>
    GoingAway = 2,
}
