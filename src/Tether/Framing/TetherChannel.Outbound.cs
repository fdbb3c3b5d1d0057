namespace Tether.Framing;

/// <summary>The sending half's state. Every field here is guarded by the connection's scheduling lock.</summary>
public sealed partial class TetherChannel
{
    private readonly SemaphoreSlim _messageLock = new(1, 1);

    /// <summary>Pieces waiting to be written, in order.</summary>
    internal Queue<PendingSend> SendQueue { get; } = new();

    /// <summary>Bytes the peer still lets this side send on the channel.</summary>
    internal long SendCredit { get; set; }

    /// <summary>True while the channel sits in the connection's ready queue.</summary>
    internal bool InReadyQueue { get; set; }

    /// <summary>True when a message has frames on the wire but not its END: cancelling it needs an ABORT frame.</summary>
    internal bool OutboundMessageOpen { get; set; }

    /// <summary>An ABORT must be written for the open message (the stream send failed).</summary>
    internal bool AbortPending { get; set; }

    /// <summary>The application completed the channel; CHANNEL_CLOSE goes out after the queued pieces.</summary>
    internal bool CompleteRequested { get; set; }

    /// <summary>CHANNEL_CLOSE was written.</summary>
    internal bool CompleteSent { get; set; }

    /// <summary>A DATA frame went out on this channel, so the peer knows it exists (channel 0 always exists).</summary>
    internal bool AnnouncedToPeer { get; set; }

    /// <summary>Credit this side has granted but not yet put in a CREDIT frame.</summary>
    internal int CreditToGrant { get; set; }

    /// <summary>A CREDIT frame for this channel is in the control queue.</summary>
    internal bool CreditQueued { get; set; }

    /// <summary>True when the writer can make progress on this channel now.</summary>
    internal bool HasWritableWork
    {
        get
        {
            if (AbortPending)
            {
                return true;
            }

            if (SendQueue.TryPeek(out var head))
            {
                return head.Withdrawn || head.AbortRequested || head.Remaining == 0 || SendCredit > 0;
            }

            return CompleteRequested && !CompleteSent;
        }
    }
}
