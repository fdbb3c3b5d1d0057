using Microsoft.Extensions.Logging;

namespace Tether.Liveness;

/// <summary>
/// One clock for all connections: a single timer that scans every registered <see cref="LivenessMonitor"/>, sends
/// keepalives for idle outbound directions and declares silent peers dead. There is no timer per connection.
/// </summary>
/// <remarks>
/// <para>
/// The timer sleeps until the earliest moment a scan found that any connection needs a look (its keepalive or its dead
/// timeout), but never less than <see cref="Interval"/>. Traffic only moves those moments later, and a registration
/// that needs a look sooner re-arms the timer, so nothing is missed. A connector whose keepalives fall due all the time
/// scans every interval; a listener whose peers ping it first sleeps for seconds between scans.
/// </para>
/// <para>
/// A tick that runs late (a GC pause, thread-pool starvation, SIGSTOP of this process) is measured against the time it
/// was planned for, and the lateness is added to <see cref="CompensatedStall"/>: silence is judged on a clock that stood
/// still while this process did not run, because bytes the peer sent meanwhile are sitting unread in our socket buffer.
/// A pause that ended before the planned time leaves no lateness, so a scan that comes more than two intervals after
/// the previous one does not declare anyone dead: it looks again one interval later, after the receive loops have had
/// time to read what arrived.
/// </para>
/// </remarks>
public sealed partial class LivenessHeartbeat : IDisposable
{
    private static readonly Lazy<LivenessHeartbeat> SharedInstance = new(() => new LivenessHeartbeat(DefaultInterval, TimeProvider.System));

    private readonly object _gate = new();
    private readonly List<LivenessMonitor> _monitors = [];
    private readonly object _tickGate = new();
    private readonly List<LivenessMonitor> _due = [];
    private readonly List<LivenessMonitor> _dead = [];
    private readonly ITimer? _timer;
    private readonly ILogger? _logger;
    private readonly long _intervalTicks;
    private long _stallTicks;
    private long _lastScan;
    private long _plannedTick; // wall-clock timestamp the next tick is planned for; long.MaxValue while nothing is registered
    private bool _timerRunning; // a timer callback is between its start and its re-arm (under _gate)
    private bool _disposed;

    /// <summary>Creates a heartbeat.</summary>
    /// <param name="interval">Time between scans; detection happens at most one interval after the dead timeout.</param>
    /// <param name="timeProvider">The clock (a fake one in tests).</param>
    /// <param name="logger">Logs late ticks.</param>
    /// <param name="autoStart">When false no timer runs and the owner calls <see cref="Tick"/> (deterministic tests).</param>
    public LivenessHeartbeat(TimeSpan interval, TimeProvider timeProvider, ILogger? logger = null, bool autoStart = true)
    {
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(interval, TimeSpan.Zero);
        Interval = interval;
        TimeProvider = timeProvider;
        _logger = logger;
        _intervalTicks = ToTimestampTicks(interval);
        _lastScan = timeProvider.GetTimestamp();
        _plannedTick = long.MaxValue;
        if (autoStart)
        {
            _timer = timeProvider.CreateTimer(static state => ((LivenessHeartbeat)state!).OnTimer(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>The default tick: 250 ms, so detection lands within a quarter second of the dead timeout.</summary>
    public static TimeSpan DefaultInterval { get; } = TimeSpan.FromMilliseconds(250);

    /// <summary>The process-wide heartbeat on the system clock.</summary>
    public static LivenessHeartbeat Shared => SharedInstance.Value;

    /// <summary>The shortest time between scans; detection happens at most one interval after the dead timeout.</summary>
    public TimeSpan Interval { get; }

    /// <summary>The clock.</summary>
    public TimeProvider TimeProvider { get; }

    /// <summary>Total time this process's ticks ran late, which is never counted against peers.</summary>
    public TimeSpan CompensatedStall => TimeSpan.FromSeconds((double)Volatile.Read(ref _stallTicks) / TimeProvider.TimestampFrequency);

    /// <summary>Number of monitored connections.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _monitors.Count;
            }
        }
    }

    internal long StallTicks => Volatile.Read(ref _stallTicks);

    /// <summary>Scans run so far.</summary>
    internal long Scans { get; private set; }

    /// <summary>Starts monitoring one connection.</summary>
    /// <param name="peer">The connection's keepalive and abort actions.</param>
    /// <param name="keepaliveInterval">Outbound idle time before a keepalive.</param>
    /// <param name="deadTimeout">Inbound silence that means the peer is dead.</param>
    /// <param name="logger">Where the connection's liveness warnings go.</param>
    /// <param name="deferKeepalive">
    /// True on one side of a connection (Tether uses the accepting side): its keepalive waits a little longer than the
    /// interval (<see cref="LivenessMonitor.KeepaliveDeferral"/>), so on an idle connection the other side's PING always
    /// comes first and the PONG that answers it is this side's outbound traffic. An idle pair then exchanges one PING
    /// and one PONG per interval instead of often two of each, when both sides' timers expire within a tick.
    /// </param>
    /// <returns>The monitor; feed it bytes in and out, dispose it when the connection closes.</returns>
    public LivenessMonitor Register(ILivenessPeer peer, TimeSpan keepaliveInterval, TimeSpan deadTimeout, ILogger? logger = null, bool deferKeepalive = false)
    {
        ArgumentNullException.ThrowIfNull(peer);
        var monitor = new LivenessMonitor(this, peer, keepaliveInterval, deadTimeout, logger, deferKeepalive);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            monitor.Slot = _monitors.Count;
            _monitors.Add(monitor);
            var now = TimeProvider.GetTimestamp();
            var due = now + Math.Max(monitor.FirstDueTicks, _intervalTicks);
            if (due < _plannedTick)
            {
                // The scan in progress (if any) re-arms for the plan when it ends; otherwise the timer is re-armed here.
                _plannedTick = due;
                if (!_timerRunning)
                {
                    _timer?.Change(ToTimeSpan(due - now), Timeout.InfiniteTimeSpan);
                }
            }
        }

        return monitor;
    }

    /// <summary>Runs one scan now and plans the next. The timer calls this; tests with <c>autoStart: false</c> call it directly.</summary>
    public void Tick()
    {
        // Ticks never overlap; the lists below belong to the tick in progress.
        lock (_tickGate)
        {
            var now = TimeProvider.GetTimestamp();
            lock (_gate)
            {
                Scans++;

                // Only a tick that missed its plan by a whole interval is a stall of ours (GC pause, SIGSTOP,
                // starvation). Lateness below that is scheduling jitter: on a loaded machine ticks arrive 100-250 ms
                // late again and again, and counting each one was measured to stretch a 4 s detection to 7 s in the
                // fault lab.
                var lateness = now - _plannedTick;
                if (lateness > _intervalTicks)
                {
                    Volatile.Write(ref _stallTicks, _stallTicks + lateness);
                    if (_logger is not null)
                    {
                        LogLateTick(_logger, lateness * 1000.0 / TimeProvider.TimestampFrequency);
                    }
                }

                // After a long sleep this process's own running was not watched: a pause that ended just before this
                // tick left no lateness, yet the bytes a peer sent during it may still be unread.
                var confirmDeaths = now - _lastScan > 2 * _intervalTicks;
                _lastScan = now;
                var compensatedNow = now - _stallTicks;
                var nextDue = long.MaxValue;
                foreach (var monitor in _monitors)
                {
                    switch (monitor.Check(compensatedNow, out var monitorDue))
                    {
                        case LivenessVerdict.Dead when !confirmDeaths:
                            _dead.Add(monitor);
                            continue;
                        case LivenessVerdict.Dead:
                            monitorDue = compensatedNow + _intervalTicks; // looked at again after one more interval
                            break;
                        case LivenessVerdict.KeepaliveDue:
                            _due.Add(monitor);
                            break;
                    }

                    nextDue = Math.Min(nextDue, monitorDue);
                }

                foreach (var monitor in _dead)
                {
                    RemoveLocked(monitor);
                }

                _plannedTick = nextDue == long.MaxValue ? long.MaxValue : now + Math.Max(nextDue - compensatedNow, _intervalTicks);
            }

            // Queueing a keepalive takes the connection's lock and aborting runs its teardown: neither happens under
            // ours, so registrations and the connections' writers never wait for a scan.
            foreach (var monitor in _due)
            {
                monitor.SendKeepalive();
            }

            foreach (var monitor in _dead)
            {
                monitor.ReportDead();
            }

            _due.Clear();
            _dead.Clear();
        }
    }

    /// <summary>Stops the timer; registered connections are no longer checked.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
        }

        _timer?.Dispose();
    }

    internal void Unregister(LivenessMonitor monitor)
    {
        lock (_gate)
        {
            RemoveLocked(monitor);
        }
    }

    internal long ToTimestampTicks(TimeSpan span) => (long)(span.TotalSeconds * TimeProvider.TimestampFrequency);

    private void RemoveLocked(LivenessMonitor monitor)
    {
        var slot = monitor.Slot;
        if (slot < 0)
        {
            return;
        }

        var last = _monitors.Count - 1;
        if (slot != last)
        {
            var moved = _monitors[last];
            _monitors[slot] = moved;
            moved.Slot = slot;
        }

        _monitors.RemoveAt(last);
        monitor.Slot = -1;
    }

    private void OnTimer()
    {
        lock (_gate)
        {
            _timerRunning = true;
        }

        try
        {
            Tick();
        }
        finally
        {
            lock (_gate)
            {
                _timerRunning = false;
                if (!_disposed)
                {
                    // One-shot re-armed after each scan, so a slow scan can never overlap the next one.
                    var now = TimeProvider.GetTimestamp();
                    _timer?.Change(_plannedTick == long.MaxValue ? Timeout.InfiniteTimeSpan : ToTimeSpan(Math.Max(_plannedTick - now, 0)), Timeout.InfiniteTimeSpan);
                }
            }
        }
    }

    private TimeSpan ToTimeSpan(long timestampTicks) => TimeSpan.FromSeconds((double)timestampTicks / TimeProvider.TimestampFrequency);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Liveness tick ran {LateMs:0} ms late (this process was paused or starved); the delay is not counted against peers.")]
    private static partial void LogLateTick(ILogger logger, double lateMs);
}
