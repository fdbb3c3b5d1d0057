using Microsoft.Extensions.Logging;
using Tether.Diagnostics;

namespace Tether.Liveness;

/// <summary>
/// The liveness state of one connection: when the last byte came in, when the last byte went out, and the measured
/// round-trip time. It holds no timer; the shared <see cref="LivenessHeartbeat"/> scans it once per tick.
/// </summary>
public sealed partial class LivenessMonitor : IDisposable
{
    private readonly LivenessHeartbeat _heartbeat;
    private readonly ILivenessPeer _peer;
    private readonly ILogger? _logger;
    private readonly long _keepaliveTicks;
    private readonly long _deadTicks;
    private readonly object _rttGate = new();

    // Timestamps on the heartbeat's compensated clock (wall clock minus our own stalls), so a tick that ran late
    // because this process was paused never counts against the peer.
    private long _lastInboundCompensated;
    private long _lastOutboundCompensated;

    // Wall-clock timestamp of the last inbound byte, for reporting the silence a user would observe.
    private long _lastInboundWall;
    private RttEstimator _rtt;
    private int _warnedUnsafe;
    private int _state; // 0 active, 1 dead or disposed

    // The answer the probes in flight are waiting for: true at the next inbound read, false when monitoring ends.
    // Created only while a probe runs, and shared by concurrent probes, since one inbound byte answers them all.
    private TaskCompletionSource<bool>? _probe;

    internal LivenessMonitor(LivenessHeartbeat heartbeat, ILivenessPeer peer, TimeSpan keepaliveInterval, TimeSpan deadTimeout, ILogger? logger, bool deferKeepalive)
    {
        _heartbeat = heartbeat;
        _peer = peer;
        _logger = logger;
        KeepaliveInterval = keepaliveInterval;
        DeadTimeout = deadTimeout;

        // A quarter of the interval is many ticks, so the peer's PING wins the race; a quarter of the slack up to the dead
        // timeout keeps this side's own keepalive (needed when the peer's outbound is busy and ours is idle) well
        // inside the peer's bound.
        KeepaliveDeferral = deferKeepalive ? TimeSpan.FromTicks(Math.Min(keepaliveInterval.Ticks, (deadTimeout - keepaliveInterval).Ticks) / 4) : TimeSpan.Zero;
        _keepaliveTicks = heartbeat.ToTimestampTicks(keepaliveInterval + KeepaliveDeferral);
        _deadTicks = heartbeat.ToTimestampTicks(deadTimeout);
        var now = heartbeat.TimeProvider.GetTimestamp();
        _lastInboundWall = now;
        _lastInboundCompensated = now - heartbeat.StallTicks;
        _lastOutboundCompensated = _lastInboundCompensated;
    }

    /// <summary>The configured keepalive interval.</summary>
    public TimeSpan KeepaliveInterval { get; }

    /// <summary>
    /// How much longer than <see cref="KeepaliveInterval"/> this side waits before its own keepalive: zero, or on the side
    /// that lets the peer ping first, the smaller of a quarter of the interval and a quarter of the time between the
    /// interval and the dead timeout.
    /// </summary>
    public TimeSpan KeepaliveDeferral { get; }

    /// <summary>The configured dead timeout.</summary>
    public TimeSpan DeadTimeout { get; }

    /// <summary>Wall-clock time since the last inbound byte.</summary>
    public TimeSpan Silence => _heartbeat.TimeProvider.GetElapsedTime(Volatile.Read(ref _lastInboundWall));

    /// <summary>Smoothed round-trip time from heartbeat echoes; null before the first sample.</summary>
    public TimeSpan? SmoothedRoundTripTime
    {
        get
        {
            lock (_rttGate)
            {
                return _rtt.Smoothed;
            }
        }
    }

    /// <summary>Index in the heartbeat's list, maintained by the heartbeat under its lock.</summary>
    internal int Slot { get; set; } = -1;

    /// <summary>Any inbound byte is proof of life: call on every transport read, even one that holds half a frame.</summary>
    public void OnBytesReceived()
    {
        var now = _heartbeat.TimeProvider.GetTimestamp();
        Volatile.Write(ref _lastInboundWall, now);
        Volatile.Write(ref _lastInboundCompensated, now - _heartbeat.StallTicks);
        if (Volatile.Read(ref _probe) is not null)
        {
            Interlocked.Exchange(ref _probe, null)?.TrySetResult(true);
        }
    }

    /// <summary>Call when bytes were handed to the transport; keepalives are sent only when this has not happened for a while.</summary>
    public void OnBytesSent() =>
        Volatile.Write(ref _lastOutboundCompensated, _heartbeat.TimeProvider.GetTimestamp() - _heartbeat.StallTicks);

    /// <summary>Records a round-trip sample from a heartbeat echo and warns once if the dead timeout looks unsafe.</summary>
    /// <param name="sample">The measured round trip.</param>
    public void OnRoundTrip(TimeSpan sample)
    {
        TetherMetrics.RoundTripTime.Record(sample.TotalSeconds);
        TimeSpan smoothed;
        TimeSpan max;
        int samples;
        lock (_rttGate)
        {
            _rtt.Add(sample);
            smoothed = _rtt.Smoothed!.Value;
            max = _rtt.Max;
            samples = _rtt.Samples;
        }

        // Three smoothed RTTs is the least a dead timeout needs: one for the heartbeat to arrive, and the rest as margin
        // for the queueing that inflated the RTT in the first place. Below that the engine would flap, so say so once.
        if (samples >= 3 && DeadTimeout < smoothed * 3 && _logger is not null && Interlocked.Exchange(ref _warnedUnsafe, 1) == 0)
        {
            LogUnsafeDeadTimeout(_logger, DeadTimeout.TotalSeconds, smoothed.TotalSeconds, max.TotalSeconds, samples);
        }
    }

    /// <summary>Stops monitoring (the connection is closing for another reason).</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _state, 1) == 0)
        {
            _heartbeat.Unregister(this);
        }

        EndProbes();
    }

    /// <summary>
    /// Asks the peer to prove it is alive now: queues a heartbeat at once and completes with true at the first inbound
    /// read after this call, or false when <paramref name="timeout"/> passes first or monitoring has ended. It leaves the
    /// keepalive and dead-peer clocks alone (the heartbeat's write counts as outbound activity, as every write does) and
    /// adds no timer beyond the one-off timeout on the heartbeat's clock.
    /// </summary>
    /// <param name="timeout">How long to wait for a byte from the peer.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>True if the peer sent something after the call.</returns>
    internal async Task<bool> ProbeAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var answer = Volatile.Read(ref _probe);
        if (answer is null)
        {
            var created = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            answer = Interlocked.CompareExchange(ref _probe, created, null) ?? created;
        }

        // Dispose marks the state before it ends the probes; checking after publishing ours means one of us sees the other.
        if (Volatile.Read(ref _state) != 0)
        {
            EndProbes();
            return false;
        }

        _peer.SendKeepalive();
        try
        {
            return await answer.Task.WaitAsync(timeout, _heartbeat.TimeProvider, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    /// <summary>Judges this connection at one tick (under the heartbeat's lock: no calls out from here).</summary>
    /// <param name="compensatedNow">Now, on the heartbeat's compensated clock.</param>
    /// <param name="nextDue">When, on that clock, this connection next needs a look if nothing changes meanwhile: its
    /// keepalive or its dead timeout, whichever is first. Traffic only moves it later.</param>
    internal LivenessVerdict Check(long compensatedNow, out long nextDue)
    {
        nextDue = long.MaxValue;
        if (Volatile.Read(ref _state) != 0)
        {
            return LivenessVerdict.Alive;
        }

        // A stamp taken just before a late tick was compensated with the old stall total and lies in the future of
        // the compensated clock; pull it back to now, or the stall would be added to the silence instead of removed.
        ClampToNow(ref _lastInboundCompensated, compensatedNow);
        ClampToNow(ref _lastOutboundCompensated, compensatedNow);
        var deadAt = Volatile.Read(ref _lastInboundCompensated) + _deadTicks;
        if (compensatedNow >= deadAt)
        {
            nextDue = compensatedNow;
            return LivenessVerdict.Dead;
        }

        var verdict = LivenessVerdict.Alive;
        if (compensatedNow - Volatile.Read(ref _lastOutboundCompensated) >= _keepaliveTicks)
        {
            // Count the queued heartbeat as activity so a heartbeat stuck behind a slow write is not queued again each tick.
            Volatile.Write(ref _lastOutboundCompensated, compensatedNow);
            verdict = LivenessVerdict.KeepaliveDue;
        }

        nextDue = Math.Min(deadAt, Volatile.Read(ref _lastOutboundCompensated) + _keepaliveTicks);
        return verdict;
    }

    /// <summary>The first time, counted from registration, at which this connection may need a look.</summary>
    internal long FirstDueTicks => Math.Min(_keepaliveTicks, _deadTicks);

    /// <summary>Called by the heartbeat outside its lock for a monitor whose <see cref="Check"/> said a keepalive is due.</summary>
    internal void SendKeepalive()
    {
        if (Volatile.Read(ref _state) == 0)
        {
            TetherMetrics.PingsSent.Add(1);
            _peer.SendKeepalive();
        }
    }

    /// <summary>Called by the heartbeat outside its lock for a monitor whose <see cref="Check"/> said it is dead.</summary>
    internal void ReportDead()
    {
        if (Interlocked.Exchange(ref _state, 1) == 0)
        {
            _peer.DeclareDead(Silence);
            EndProbes();
        }
    }

    private void EndProbes() => Interlocked.Exchange(ref _probe, null)?.TrySetResult(false);

    private static void ClampToNow(ref long stamp, long now)
    {
        var value = Volatile.Read(ref stamp);
        if (value > now)
        {
            Interlocked.CompareExchange(ref stamp, now, value);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dead timeout {DeadTimeoutSeconds:0.###} s is less than three smoothed round-trip times (SRTT {SrttSeconds:0.###} s, max {MaxRttSeconds:0.###} s over {Samples} samples): a healthy but loaded link may be declared dead. Raise DeadTimeout.")]
    private static partial void LogUnsafeDeadTimeout(ILogger logger, double deadTimeoutSeconds, double srttSeconds, double maxRttSeconds, int samples);
}

/// <summary>What one tick concluded about one connection.</summary>
internal enum LivenessVerdict
{
    /// <summary>Nothing to do.</summary>
    Alive,

    /// <summary>The outbound direction was idle for the keepalive interval: send a heartbeat.</summary>
    KeepaliveDue,

    /// <summary>No inbound byte for the dead timeout.</summary>
    Dead,
}
