using System.Net.Sockets;
using Tether.Liveness;

namespace Tether.Pb.Protocol;

public sealed partial class PbConnection
{
    private readonly LivenessMonitor? _liveness;
    private readonly PbLivenessOptions? _livenessOptions;
    private readonly TimeProvider _livenessClock = TimeProvider.System;
    private int _pingOutstanding;

    /// <summary>Smoothed round-trip time of liveness pings; null without liveness or before the first answer.</summary>
    public TimeSpan? SmoothedRoundTripTime => _liveness?.SmoothedRoundTripTime;

    /// <summary>
    /// Sends the liveness ping now and waits up to <paramref name="timeout"/> for its answer or error, either of which
    /// proves the peer alive.
    /// </summary>
    /// <returns>True if the peer answered in time.</returns>
    public async Task<bool> ProbePeerAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var options = _livenessOptions ?? new PbLivenessOptions();
        var call = CallAsync(PbObjectId.FromName(options.PingObject), options.PingMethod, [], null, CancellationToken.None);
        try
        {
            await call.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (PbRemoteCallException)
        {
            return true;
        }
        catch (Exception e) when (e is TimeoutException or PbConnectionLostException)
        {
            return false;
        }
    }

    private static LivenessHeartbeat HeartbeatOf(PbLivenessOptions options) => options.Heartbeat ?? LivenessHeartbeat.Shared;

    /// <summary>
    /// Sends the ping call, one at a time: a ping stuck behind a slow link is not repeated, and the dead timeout,
    /// not the ping, decides. Its answer or error is a round-trip sample; its bytes already counted as life.
    /// </summary>
    private void Ping()
    {
        if (_liveness is not { } monitor || _livenessOptions is not { } options
            || _handshake != HandshakeState.Ready || Interlocked.Exchange(ref _pingOutstanding, 1) != 0)
        {
            return;
        }

        var started = _livenessClock.GetTimestamp();
        CallAsync(PbObjectId.FromName(options.PingObject), options.PingMethod, [], null, CancellationToken.None)
            .ContinueWith(
                call =>
                {
                    Volatile.Write(ref _pingOutstanding, 0);
                    if (call.IsCompletedSuccessfully || call.Exception?.InnerException is PbRemoteCallException)
                    {
                        monitor.OnRoundTrip(_livenessClock.GetElapsedTime(started));
                    }
                },
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
    }

    /// <summary>Makes the close an abort: a dead peer gets a reset, not a graceful close that would linger.</summary>
    private void PrepareAbort()
    {
        if (_stream is NetworkStream network)
        {
            try
            {
                network.Socket.LingerState = new LingerOption(enable: true, seconds: 0);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                // Already closed: nothing left to reset.
            }
        }
    }

    private sealed class LivenessPeer(PbConnection connection) : ILivenessPeer
    {
        public void SendKeepalive() => connection.Ping();

        public void DeclareDead(TimeSpan silence)
        {
            connection.PrepareAbort();
            _ = connection.CloseAsync(new PbDeadPeerException(silence));
        }
    }
}
