using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Tether.Liveness;

namespace Tether.Tests.Liveness;

public sealed class LivenessHeartbeatTests : IDisposable
{
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan Keepalive = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Dead = TimeSpan.FromSeconds(10);

    private readonly FakeTimeProvider _time = new();
    private readonly LivenessHeartbeat _heartbeat;
    private readonly RecordingPeer _peer = new();
    private readonly LivenessMonitor _monitor;

    public LivenessHeartbeatTests()
    {
        _heartbeat = new LivenessHeartbeat(Tick, _time, autoStart: false);
        _monitor = _heartbeat.Register(_peer, Keepalive, Dead);
    }

    public void Dispose() => _heartbeat.Dispose();

    [Fact]
    public void Pings_only_after_the_outbound_direction_was_idle_for_the_keepalive_interval()
    {
        Advance(Keepalive - Tick);
        Assert.Equal(0, _peer.Keepalives);

        Advance(Tick);
        Assert.Equal(1, _peer.Keepalives);

        // The ping itself counts as outbound activity: the next one comes a full interval later.
        Advance(Keepalive - Tick);
        Assert.Equal(1, _peer.Keepalives);
        Advance(Tick);
        Assert.Equal(2, _peer.Keepalives);
    }

    [Theory]
    [InlineData(1_000, 10_000, 250)] // a quarter of the interval
    [InlineData(30_000, 90_000, 7_500)]
    [InlineData(10_000, 11_000, 250)] // a quarter of the slack before the dead timeout
    public void The_deferring_side_pings_a_quarter_interval_or_a_quarter_of_the_slack_later(int keepaliveMs, int deadMs, int deferralMs)
    {
        var peer = new RecordingPeer();
        var keepalive = TimeSpan.FromMilliseconds(keepaliveMs);
        var monitor = _heartbeat.Register(peer, keepalive, TimeSpan.FromMilliseconds(deadMs), deferKeepalive: true);
        Assert.Equal(TimeSpan.FromMilliseconds(deferralMs), monitor.KeepaliveDeferral);
        Assert.Equal(keepalive, monitor.KeepaliveInterval);

        // The monitor registered now; inbound bytes keep it alive while we watch its keepalive alone.
        var due = keepalive + monitor.KeepaliveDeferral;
        for (var elapsed = TimeSpan.Zero; elapsed < due - Tick; elapsed += Tick)
        {
            monitor.OnBytesReceived();
            Advance(Tick);
        }

        Assert.Equal(0, peer.Keepalives);
        Advance(Tick);
        Assert.Equal(1, peer.Keepalives);
        Assert.Equal(TimeSpan.Zero, _monitor.KeepaliveDeferral);
    }

    [Fact]
    public void Never_pings_while_this_side_keeps_sending()
    {
        for (var i = 0; i < 200; i++)
        {
            Advance(Tick);
            _monitor.OnBytesSent();
            _monitor.OnBytesReceived();
        }

        Assert.Equal(0, _peer.Keepalives);
    }

    [Fact]
    public void Inbound_bytes_reset_silence_but_do_not_suppress_our_keepalives()
    {
        // Only inbound traffic: we must still talk (rule 2 - the quiet direction talks).
        for (var i = 0; i < 8; i++)
        {
            Advance(Tick);
            _monitor.OnBytesReceived();
        }

        Assert.Equal(2, _peer.Keepalives);
        Assert.Null(_peer.DeadAfter);
    }

    [Fact]
    public void Any_inbound_byte_keeps_a_peer_alive_indefinitely()
    {
        for (var second = 0; second < 600; second++)
        {
            Advance(TimeSpan.FromSeconds(1));
            if (second % 9 == 0)
            {
                _monitor.OnBytesReceived();
            }
        }

        Assert.Null(_peer.DeadAfter);
    }

    [Fact]
    public void Declares_death_at_the_first_tick_at_or_after_the_dead_timeout()
    {
        var elapsed = AdvanceUntilDead();

        Assert.NotNull(_peer.DeadAfter);
        Assert.InRange(elapsed, Dead, Dead + Tick);
        Assert.Equal(elapsed, _peer.DeadAfter);
        Assert.Equal(0, _heartbeat.Count);
    }

    [Fact]
    public void Death_is_reported_exactly_once()
    {
        Advance(Dead + Tick);
        Advance(Dead);
        Assert.Equal(1, _peer.DeadReports);
    }

    [Fact]
    public void A_late_tick_in_our_own_process_does_not_kill_the_peer()
    {
        // The peer has been quiet for 8 s (legitimately: the dead timeout is 10 s).
        Advance(TimeSpan.FromSeconds(8));

        // This process freezes for 5 s (GC pause, SIGSTOP): the next tick runs 5 s late. The peer's bytes are waiting
        // unread in the socket buffer, so the pause must not count as the peer's silence.
        _time.Advance(TimeSpan.FromSeconds(5));
        _heartbeat.Tick();
        Assert.Null(_peer.DeadAfter);

        // Our receive loop now reads what arrived meanwhile.
        _monitor.OnBytesReceived();
        Advance(TimeSpan.FromSeconds(9));
        Assert.Null(_peer.DeadAfter);

        // The tick before the freeze planned the next one for t = 9 s (the next keepalive): the 4 s past that plan are
        // the stall. The first second of the freeze was sleep the heartbeat had planned anyway.
        Assert.InRange(_heartbeat.CompensatedStall, TimeSpan.FromSeconds(3.999), TimeSpan.FromSeconds(4.001));
    }

    [Fact]
    public void A_dead_peer_is_still_detected_after_our_own_stall()
    {
        Advance(TimeSpan.FromSeconds(8));
        _time.Advance(TimeSpan.FromSeconds(5));
        _heartbeat.Tick();
        Assert.Null(_peer.DeadAfter);

        // Nothing ever arrives: the peer is declared dead once 10 s of compensated silence have passed. At t = 13 s the
        // compensated clock reads 9 s (4 s of stall past the planned tick), so that is one second after resuming.
        var elapsed = AdvanceUntilDead();
        Assert.InRange(elapsed, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1) + Tick);
    }

    [Fact]
    public void A_byte_stamped_just_before_a_late_tick_does_not_push_detection_past_the_bound()
    {
        // Our process is paused for 60 s; on resume the receive loop reads (and stamps) before the late tick runs.
        _time.Advance(TimeSpan.FromSeconds(60));
        _monitor.OnBytesReceived();
        _heartbeat.Tick();

        // The peer is dead from now on: it must be declared so one dead timeout later, not one stall later.
        var elapsed = AdvanceUntilDead();
        Assert.InRange(elapsed, Dead, Dead + Tick);
    }

    [Theory]
    [InlineData(15)]  // a coarse timer
    [InlineData(200)] // a loaded machine: every tick most of a slot late
    public void Scheduling_jitter_does_not_slow_the_liveness_clock(int lateMs)
    {
        var late = TimeSpan.FromMilliseconds(lateMs);
        var elapsed = TimeSpan.Zero;
        while (_peer.DeadAfter is null && elapsed < TimeSpan.FromMinutes(1))
        {
            _time.Advance(Tick + late);
            _heartbeat.Tick();
            elapsed += Tick + late;
        }

        Assert.InRange(elapsed, Dead, Dead + Tick + late);
        Assert.Equal(TimeSpan.Zero, _heartbeat.CompensatedStall);
    }

    [Fact]
    public void Many_connections_share_one_heartbeat_and_are_judged_independently()
    {
        var peers = Enumerable.Range(0, 100).Select(_ => new RecordingPeer()).ToArray();
        var monitors = peers.Select(p => _heartbeat.Register(p, Keepalive, Dead)).ToArray();
        for (var i = 0; i < 60; i++)
        {
            Advance(Tick);
            for (var m = 0; m < monitors.Length; m += 2)
            {
                monitors[m].OnBytesReceived();
            }
        }

        Assert.All(peers.Where((_, i) => i % 2 == 0), p => Assert.Null(p.DeadAfter));
        Assert.All(peers.Where((_, i) => i % 2 == 1), p => Assert.NotNull(p.DeadAfter));
        Assert.Equal(50, _heartbeat.Count); // even-numbered ones, and the fixture's monitor died too
    }

    [Fact]
    public void Disposed_monitors_are_no_longer_checked()
    {
        _monitor.Dispose();
        Advance(Dead * 2);
        Assert.Equal(0, _peer.Keepalives);
        Assert.Null(_peer.DeadAfter);
        Assert.Equal(0, _heartbeat.Count);
    }

    [Fact]
    public void Warns_once_when_round_trip_times_make_the_dead_timeout_unsafe()
    {
        var logger = new ListLogger();
        var monitor = _heartbeat.Register(new RecordingPeer(), Keepalive, TimeSpan.FromSeconds(3), logger);
        for (var i = 0; i < 10; i++)
        {
            monitor.OnRoundTrip(TimeSpan.FromSeconds(0.5));
        }

        Assert.Empty(logger.Warnings);
        for (var i = 0; i < 40; i++)
        {
            monitor.OnRoundTrip(TimeSpan.FromSeconds(2));
        }

        var warning = Assert.Single(logger.Warnings);
        Assert.Contains("Dead timeout 3 s", warning);
        Assert.Contains("SRTT", warning);
    }

    [Fact]
    public void The_timer_drives_ticks_on_the_provided_clock()
    {
        var time = new FakeTimeProvider();
        using var heartbeat = new LivenessHeartbeat(Tick, time);
        var peer = new RecordingPeer();
        heartbeat.Register(peer, Keepalive, Dead);
        for (var i = 0; i < 4 * 11; i++)
        {
            time.Advance(Tick);
        }

        // The timer slept from the last keepalive (9 s) to the dead timeout (10 s); after a sleep that long it looks
        // once more, one interval later, before declaring the peer dead.
        Assert.Equal(Dead + Tick, peer.DeadAfter);
        Assert.InRange(peer.Keepalives, 9, 10);
    }

    [Fact]
    public void A_listener_pinged_by_its_peer_sleeps_between_the_peers_pings()
    {
        var time = new FakeTimeProvider();
        using var heartbeat = new LivenessHeartbeat(Tick, time);
        var peer = new RecordingPeer();
        var keepalive = TimeSpan.FromSeconds(30);
        var monitor = heartbeat.Register(peer, keepalive, 3 * keepalive, deferKeepalive: true);

        // The connector's PING arrives every 30 s and our PONG answers it; our own keepalive (30 s + 7.5 s) never falls due.
        for (var elapsed = Tick; elapsed <= TimeSpan.FromMinutes(5); elapsed += Tick)
        {
            time.Advance(Tick);
            if (elapsed.Ticks % keepalive.Ticks == 0)
            {
                monitor.OnBytesReceived();
                monitor.OnBytesSent();
            }
        }

        Assert.Equal(0, peer.Keepalives);
        Assert.Null(peer.DeadAfter);

        // One scan 7.5 s after each PONG, when the deferred keepalive would fall due: 10 in 5 minutes, where a tick every
        // 250 ms would have scanned 1,200 times.
        Assert.InRange(heartbeat.Scans, 9, 11);
    }

    [Fact]
    public void With_nothing_registered_the_timer_does_not_run_and_a_registration_starts_it()
    {
        var time = new FakeTimeProvider();
        using var heartbeat = new LivenessHeartbeat(Tick, time);
        time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(0, heartbeat.Scans);

        var peer = new RecordingPeer();
        heartbeat.Register(peer, Keepalive, Dead);
        time.Advance(Keepalive);
        Assert.Equal(1, peer.Keepalives);
    }

    [Fact]
    public void A_registration_that_needs_a_look_sooner_re_arms_the_timer()
    {
        var time = new FakeTimeProvider();
        using var heartbeat = new LivenessHeartbeat(Tick, time);
        heartbeat.Register(new RecordingPeer(), TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(90));
        time.Advance(TimeSpan.FromSeconds(1));

        var soon = new RecordingPeer();
        heartbeat.Register(soon, Keepalive, Dead);
        for (var i = 0; i < 4; i++)
        {
            time.Advance(Tick);
        }

        Assert.Equal(1, soon.Keepalives);
    }

    [Fact]
    public void After_a_long_sleep_a_silent_peer_gets_one_more_interval_to_be_heard_from()
    {
        var time = new FakeTimeProvider();
        using var heartbeat = new LivenessHeartbeat(Tick, time);
        var peer = new RecordingPeer();
        var monitor = heartbeat.Register(peer, TimeSpan.FromSeconds(5), Dead);
        for (var i = 0; i < 40; i++)
        {
            time.Advance(Tick);
        }

        // The scan at 10 s came 5 s after the previous one. If this process was paused until just before it, the peer's
        // bytes are still unread; the receive loop reads them within the interval it is given.
        Assert.Null(peer.DeadAfter);
        Assert.Equal(1, heartbeat.Count);
        monitor.OnBytesReceived();
        time.Advance(Tick);
        Assert.Null(peer.DeadAfter);
        Assert.Equal(1, heartbeat.Count);
    }

    /// <summary>Ticks until the peer is declared dead (at most a minute); returns the time that took.</summary>
    private TimeSpan AdvanceUntilDead()
    {
        var elapsed = TimeSpan.Zero;
        while (_peer.DeadAfter is null && elapsed < TimeSpan.FromMinutes(1))
        {
            Advance(Tick);
            elapsed += Tick;
        }

        return elapsed;
    }

    private void Advance(TimeSpan span)
    {
        var remaining = span;
        while (remaining > TimeSpan.Zero)
        {
            var step = remaining < Tick ? remaining : Tick;
            _time.Advance(step);
            remaining -= step;
            if (step == Tick)
            {
                _heartbeat.Tick();
            }
        }
    }

    private sealed class RecordingPeer : ILivenessPeer
    {
        public int Keepalives { get; private set; }

        public TimeSpan? DeadAfter { get; private set; }

        public int DeadReports { get; private set; }

        public void SendKeepalive() => Keepalives++;

        public void DeclareDead(TimeSpan silence)
        {
            DeadAfter = silence;
            DeadReports++;
        }
    }

    private sealed class ListLogger : ILogger
    {
        public List<string> Warnings { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel == LogLevel.Warning)
            {
                Warnings.Add(formatter(state, exception));
            }
        }
    }
}
