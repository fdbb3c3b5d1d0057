using System.Net.Sockets;
using Tether.Liveness;
using Tether.Transport;

namespace Tether.Pb.Protocol;

public sealed partial class PbConnection
{
    private readonly LivenessMonitor? _liveness;
    private readonly PbLivenessOptions? _livenessOptions;
    private readonly TimeProvider _livenessClock = TimeProvider.System;
    private const int AcknowledgementWatchThreshold = 16 * 1024;
    private static readonly TimeSpan MaxAcknowledgementPoll = TimeSpan.FromSeconds(1);

    private int _pingOutstanding;
    private int _watchingAcknowledgements;

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

    /// <summary>
    /// From the start of a large write until the kernel has delivered everything queued, the peer's TCP acknowledging
    /// our bytes counts as life. PB cannot interleave a ping with a message being delivered, and a Python peer sends nothing while
    /// it receives one, so a message that takes longer than the dead timeout to cross a slow link would otherwise have
    /// the healthy peer declared dead. A black-holed peer acknowledges nothing and is still detected within the bound
    /// (plus one poll); a frozen peer's kernel acknowledges until its receive buffer is full, which is the price.
    /// </summary>
    private void WatchAcknowledgements(int written)
    {
        if (written >= AcknowledgementWatchThreshold && _liveness is { } monitor && (_stream as NetworkStream)?.Socket is { } socket
            && Interlocked.Exchange(ref _watchingAcknowledgements, 1) == 0)
        {
            _ = WatchAcknowledgementsAsync(monitor, socket);
        }
    }

    private async Task WatchAcknowledgementsAsync(LivenessMonitor monitor, Socket socket)
    {
        var poll = Min(_livenessOptions!.KeepaliveInterval, MaxAcknowledgementPoll);
        var acknowledged = TcpInfo.Read(socket)?.BytesAcked;
        try
        {
            while (true)
            {
                await Task.Delay(poll, _livenessClock, _stop.Token).ConfigureAwait(false);
                var info = TcpInfo.Read(socket);
                if (info?.BytesAcked > acknowledged)
                {
                    monitor.OnBytesReceived();
                    acknowledged = info.BytesAcked;
                }

                if (!InFlight(info))
                {
                    // Stop, unless a write queued more between the check and giving up the watch.
                    Volatile.Write(ref _watchingAcknowledgements, 0);
                    if (!InFlight(TcpInfo.Read(socket)) || Interlocked.Exchange(ref _watchingAcknowledgements, 1) != 0)
                    {
                        return;
                    }
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
        {
            Volatile.Write(ref _watchingAcknowledgements, 0);
        }
    }

    private static bool InFlight(TcpInfo? info) => info is { } i && (i.Unacked > 0 || i.NotSentBytes > 0);

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

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
