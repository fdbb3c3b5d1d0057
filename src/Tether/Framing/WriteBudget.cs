namespace Tether.Framing;

/// <summary>
/// How much data one socket write may carry so that a control frame queued behind it waits about
/// <see cref="TargetDrain"/> at most. On fast links that is always a whole chunk; on a dial-up-speed link a 32 KiB chunk
/// would hold a CREDIT or PONG back for seconds, so the budget shrinks to what the link drains in that time.
/// </summary>
/// <remarks>
/// The rate is learned from writes that had to wait for the kernel (with TCP_NOTSENT_LOWAT a write blocks until the
/// unsent backlog drains below the mark, so its duration reflects the link). Writes that complete at once say only that
/// the kernel keeps up; they double the estimate, so a link that speeds up is followed quickly.
/// </remarks>
internal struct WriteBudget
{
    /// <summary>How long a queued control frame should wait behind one batch of data, at most.</summary>
    public static readonly TimeSpan TargetDrain = TimeSpan.FromMilliseconds(100);

    /// <summary>Smallest budget: below this the 8-byte headers start to cost.</summary>
    public const int Minimum = 2048;

    private static readonly TimeSpan Instant = TimeSpan.FromMilliseconds(2);

    private double _bytesPerSecond;

    /// <summary>Data bytes the next batch may carry, at most <paramref name="chunkSize"/>.</summary>
    public readonly int Next(int chunkSize)
    {
        if (_bytesPerSecond <= 0)
        {
            return chunkSize;
        }

        var bytes = _bytesPerSecond * TargetDrain.TotalSeconds;
        return (int)Math.Clamp(bytes, Minimum, chunkSize);
    }

    /// <summary>Learns from one completed write.</summary>
    public void Observe(int bytes, TimeSpan took)
    {
        if (took < Instant)
        {
            if (_bytesPerSecond > 0)
            {
                _bytesPerSecond = _bytesPerSecond * 2 > 1e12 ? 0 : _bytesPerSecond * 2;
            }

            return;
        }

        var sample = bytes / took.TotalSeconds;
        _bytesPerSecond = _bytesPerSecond <= 0 ? sample : (0.75 * _bytesPerSecond) + (0.25 * sample);
    }
}
