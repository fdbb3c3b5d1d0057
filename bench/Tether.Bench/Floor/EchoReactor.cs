using System.Net;
using System.Net.Sockets;

namespace Tether.Bench.Floor;

/// <summary>
/// The floor's listener: the least a process can do to answer keepalives. One thread waits on epoll for every accepted
/// socket, reads what arrived and (when <c>answer</c>) writes the same bytes back, as a PONG echoes its PING; no
/// framing, no timers, no thread pool. With <c>coalesce</c> it sleeps after each wake-up so later messages are handled
/// in the same wake-up, trading reply delay for fewer wake-ups.
/// </summary>
internal sealed class EchoReactor : IDisposable
{
    private const int MaxEvents = 256;
    private const int WaitMilliseconds = 200;

    private readonly Socket _listener;
    private readonly Epoll _epoll = new();
    private readonly Socket?[] _sockets;
    private readonly bool _answer;
    private readonly TimeSpan _coalesce;
    private readonly Thread _acceptor;
    private readonly Thread _loop;
    private int _accepted;
    private long _messages;
    private volatile bool _stopping;

    public EchoReactor(IPEndPoint endpoint, int capacity, bool answer, TimeSpan coalesce)
    {
        _sockets = new Socket?[capacity];
        _answer = answer;
        _coalesce = coalesce;
        _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _listener.Bind(endpoint);
        _listener.Listen(4096);
        _acceptor = new Thread(Accept) { IsBackground = true, Name = "floor acceptor" };
        _loop = new Thread(Run) { IsBackground = true, Name = "floor reactor" };
        _acceptor.Start();
        _loop.Start();
    }

    public IPEndPoint LocalEndPoint => (IPEndPoint)_listener.LocalEndPoint!;

    /// <summary>Connections accepted so far.</summary>
    public int Accepted => Volatile.Read(ref _accepted);

    /// <summary>Keepalive messages read so far.</summary>
    public long Messages => Interlocked.Read(ref _messages);

    public void Dispose()
    {
        _stopping = true;
        _listener.Dispose();
        _acceptor.Join();
        _loop.Join();
        foreach (var socket in _sockets)
        {
            socket?.Dispose();
        }

        _epoll.Dispose();
    }

    private void Accept()
    {
        try
        {
            while (_accepted < _sockets.Length)
            {
                var socket = _listener.Accept();
                socket.NoDelay = true;
                socket.Blocking = false;
                _sockets[_accepted] = socket;
                _epoll.Add(socket, _accepted);
                Volatile.Write(ref _accepted, _accepted + 1);
            }
        }
        catch (Exception e) when (_stopping && e is SocketException or ObjectDisposedException)
        {
            // Disposed.
        }
    }

    private void Run()
    {
        Span<Epoll.Event> ready = stackalloc Epoll.Event[MaxEvents];
        Span<byte> buffer = stackalloc byte[4096];
        while (!_stopping)
        {
            var count = _epoll.Wait(ready, WaitMilliseconds);
            for (var i = 0; i < count; i++)
            {
                var socket = _sockets[ready[i].Tag]!;
                var read = socket.Receive(buffer, SocketFlags.None, out var error);
                if (read > 0)
                {
                    Interlocked.Add(ref _messages, read / FloorBenchCommand.MessageSize);
                    if (_answer)
                    {
                        socket.Send(buffer[..read], SocketFlags.None, out _);
                    }
                }
                else if (error != SocketError.WouldBlock)
                {
                    // The peer went away (or failed): stop watching it; Dispose closes it.
                    _epoll.Remove(socket);
                }
            }

            if (count > 0 && _coalesce > TimeSpan.Zero)
            {
                Thread.Sleep(_coalesce);
            }
        }
    }
}
