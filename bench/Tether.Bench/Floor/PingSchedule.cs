using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Tether.Bench.Floor;

/// <summary>
/// The floor's connectors: N sockets, each sending one <see cref="FloorBenchCommand.MessageSize"/>-byte message per
/// interval, the sends spread evenly over the interval (as N keepalive timers started at random moments would be),
/// and the replies read and dropped. One thread, its own epoll, no thread pool.
/// </summary>
internal sealed class PingSchedule : IDisposable
{
    private readonly Socket[] _sockets;
    private readonly Epoll _epoll = new();
    private readonly TimeSpan _interval;
    private readonly Thread _loop;
    private long _replies;
    private volatile bool _stopping;

    private PingSchedule(Socket[] sockets, TimeSpan interval)
    {
        _sockets = sockets;
        _interval = interval;
        for (var i = 0; i < sockets.Length; i++)
        {
            _epoll.Add(sockets[i], i);
        }

        _loop = new Thread(Run) { IsBackground = true, Name = "floor pinger" };
        _loop.Start();
    }

    /// <summary>Bytes of replies read so far, in messages.</summary>
    public long Replies => Interlocked.Read(ref _replies);

    /// <summary>Connects <paramref name="count"/> sockets round-robin to <paramref name="targets"/> and starts sending.</summary>
    public static PingSchedule Start(IReadOnlyList<IPEndPoint> targets, int count, TimeSpan interval)
    {
        var sockets = new Socket[count];
        for (var i = 0; i < count; i++)
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            socket.Connect(targets[i % targets.Count]);
            socket.Blocking = false;
            sockets[i] = socket;
        }

        return new PingSchedule(sockets, interval);
    }

    public void Dispose()
    {
        _stopping = true;
        _loop.Join();
        foreach (var socket in _sockets)
        {
            socket.Dispose();
        }

        _epoll.Dispose();
    }

    private void Run()
    {
        Span<Epoll.Event> ready = stackalloc Epoll.Event[256];
        Span<byte> buffer = stackalloc byte[4096];
        ReadOnlySpan<byte> ping = stackalloc byte[FloorBenchCommand.MessageSize];
        var started = Stopwatch.GetTimestamp();
        long sent = 0;
        while (!_stopping)
        {
            var due = (long)(Stopwatch.GetElapsedTime(started) / _interval * _sockets.Length);
            for (; sent < due; sent++)
            {
                _sockets[sent % _sockets.Length].Send(ping, SocketFlags.None, out _);
            }

            var count = _epoll.Wait(ready, 1);
            for (var i = 0; i < count; i++)
            {
                var read = _sockets[ready[i].Tag].Receive(buffer, SocketFlags.None, out _);
                Interlocked.Add(ref _replies, Math.Max(read, 0) / FloorBenchCommand.MessageSize);
            }
        }
    }
}
