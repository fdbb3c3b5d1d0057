using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Tether.Lab.Netns;
using Tether.Lab.Scenarios;

namespace Tether.Lab.Proxy;

/// <summary>
/// The user-space stand-in for the namespace lab, for machines where it cannot run (no root, not Linux): a TCP proxy on
/// loopback between client and server that can pace bytes like a slow link, drop everything like a black hole, and
/// forget connections like a NAT (after an idle timeout, or at once), answering with a reset or with silence.
/// </summary>
/// <remarks>
/// It models faults at the level applications see, not the kernel's: both legs stay healthy TCP connections to the
/// proxy, so a "dropped" byte has still been acknowledged to its sender, and kernel timers (retransmission timeouts,
/// TCP_USER_TIMEOUT, SO_KEEPALIVE probes, which the proxy's kernel answers) never fire. Buffers are kept tiny so that a
/// paced link queues about as much as a real one would.
/// </remarks>
internal sealed class FaultProxy : IAsyncDisposable
{
    /// <summary>Socket buffers of the proxy's legs: small, so a slow link's queue is the proxy's, not the kernel's.</summary>
    private const int LegBufferBytes = 4096;

    /// <summary>Bytes moved per step when pacing, small enough that a step at 56 kbit/s takes ~70 ms.</summary>
    private const int PacedStep = 512;

    private readonly Socket _listener;
    private readonly IPEndPoint _upstream;
    private readonly LinkShape? _link;
    private readonly NatRouter? _nat;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Socket> _sockets = [];
    private readonly Lock _gate = new();
    private readonly Task _accepting;
    private long _lastActivity = Stopwatch.GetTimestamp();
    private long _bytes;
    private volatile ProxyState _state;

    private FaultProxy(IPEndPoint upstream, LinkShape? link, NatRouter? nat)
    {
        _upstream = upstream;
        _link = link;
        _nat = nat;
        _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = LegBufferBytes };
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen();
        Endpoint = (IPEndPoint)_listener.LocalEndPoint!;
        _accepting = AcceptAsync();
    }

    private enum ProxyState
    {
        Forwarding,
        Dropping,
        Resetting,
    }

    /// <summary>Where clients connect.</summary>
    public IPEndPoint Endpoint { get; }

    /// <summary>Payload bytes forwarded (both ways) so far; TCP/IP headers are not seen in user space.</summary>
    public long BytesForwarded => Interlocked.Read(ref _bytes);

    /// <summary>Starts a proxy to <paramref name="upstream"/>.</summary>
    /// <param name="upstream">The server.</param>
    /// <param name="link">A rate limit, or null.</param>
    /// <param name="nat">A NAT to emulate (idle timeout and what a forgotten connection gets), or null.</param>
    /// <returns>The proxy.</returns>
    public static FaultProxy Start(IPEndPoint upstream, LinkShape? link, NatRouter? nat) => new(upstream, link, nat);

    /// <summary>Drops every byte both ways from now on.</summary>
    public void Blackhole() => _state = ProxyState.Dropping;

    /// <summary>Forgets every connection, as a NAT table flush: the next byte of each gets the NAT's response.</summary>
    public void Forget() => _state = _nat?.Response == ForgottenConnectionResponse.Reset ? ProxyState.Resetting : ProxyState.Dropping;

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Dispose();
        lock (_gate)
        {
            foreach (var socket in _sockets)
            {
                socket.Dispose();
            }
        }

        await _accepting;
        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                var client = await _listener.AcceptAsync(_stop.Token);
                var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = LegBufferBytes };
                foreach (var leg in new[] { client, server })
                {
                    leg.SendBufferSize = LegBufferBytes;
                    leg.NoDelay = true;
                    Track(leg);
                }

                await server.ConnectAsync(_upstream, _stop.Token);
                _ = PumpAsync(client, server);
                _ = PumpAsync(server, client);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
        {
            // Disposed; or the server is gone, which the client will see as its connection closing.
        }
    }

    private void Track(Socket socket)
    {
        lock (_gate)
        {
            _sockets.Add(socket);
        }
    }

    /// <summary>Moves one direction: paced, dropped or reset according to the current state.</summary>
    private async Task PumpAsync(Socket from, Socket to)
    {
        var buffer = new byte[_link is null ? 64 * 1024 : PacedStep];
        var pacer = _link is { } link ? new Pacer(link.KbitPerSecond) : null;
        try
        {
            while (true)
            {
                var read = await from.ReceiveAsync(buffer, _stop.Token);
                if (read == 0)
                {
                    to.Shutdown(SocketShutdown.Send);
                    return;
                }

                if (_nat is { } nat && Stopwatch.GetElapsedTime(Interlocked.Read(ref _lastActivity)) > nat.EstablishedTimeout && _state == ProxyState.Forwarding)
                {
                    Forget();
                }

                switch (_state)
                {
                    case ProxyState.Dropping:
                        continue;
                    case ProxyState.Resetting:
                        Abort(from);
                        Abort(to);
                        return;
                }

                Interlocked.Exchange(ref _lastActivity, Stopwatch.GetTimestamp());
                if (pacer is not null)
                {
                    await pacer.WaitAsync(read, _stop.Token);
                }

                // Counted before the send: the receiver may see the bytes before this continuation runs again.
                Interlocked.Add(ref _bytes, read);
                await to.SendAsync(buffer.AsMemory(0, read), _stop.Token);
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // One leg failed (a reset, a killed peer): pass the failure on as a reset.
            Abort(to);
        }
    }

    private static void Abort(Socket socket)
    {
        try
        {
            socket.LingerState = new LingerOption(true, 0);
            socket.Close();
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
    }

    /// <summary>Lets bytes through at the link's rate.</summary>
    /// <param name="kbitPerSecond">The rate.</param>
    private sealed class Pacer(int kbitPerSecond)
    {
        private long _due = Stopwatch.GetTimestamp();

        public async Task WaitAsync(int bytes, CancellationToken cancellationToken)
        {
            var now = Stopwatch.GetTimestamp();
            _due = Math.Max(_due, now) + (long)(bytes * 8.0 / (kbitPerSecond * 1000.0) * Stopwatch.Frequency);
            var wait = Stopwatch.GetElapsedTime(now, _due);
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, cancellationToken);
            }
        }
    }
}
