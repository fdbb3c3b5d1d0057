using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Tether.Bench.Floor;

/// <summary>
/// Linux epoll, called directly: the floor benchmark's loops wait on it themselves, so no socket of theirs ever goes
/// through .NET's socket engine or thread pool (their sockets are non-blocking and only used synchronously).
/// </summary>
internal sealed partial class Epoll : IDisposable
{
    private const int EpollCtlAdd = 1;
    private const int EpollCtlDel = 2;
    private const uint EpollIn = 0x001;
    private const int EpollCloexec = 0x80000;

    private readonly int _fd;

    public Epoll()
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64)
        {
            // epoll_event is packed (12 bytes) on x86-64 only; that is the layout declared below.
            throw new PlatformNotSupportedException("The floor benchmark calls epoll directly and supports Linux on x86-64 only.");
        }

        _fd = Check(Create(EpollCloexec), "epoll_create1");
    }

    /// <summary>Watches <paramref name="socket"/> for input (level-triggered), tagged with <paramref name="tag"/>.</summary>
    public void Add(Socket socket, int tag)
    {
        var registration = new Event { Events = EpollIn, Data = (ulong)tag };
        Check(Control(_fd, EpollCtlAdd, (int)socket.Handle, ref registration), "epoll_ctl(ADD)");
    }

    /// <summary>Stops watching <paramref name="socket"/> (before it is closed).</summary>
    public void Remove(Socket socket)
    {
        var ignored = default(Event);
        Check(Control(_fd, EpollCtlDel, (int)socket.Handle, ref ignored), "epoll_ctl(DEL)");
    }

    /// <summary>Waits up to <paramref name="timeoutMilliseconds"/> for ready sockets; returns how many tags it wrote.</summary>
    public int Wait(Span<Event> ready, int timeoutMilliseconds)
    {
        var count = Wait(_fd, ref MemoryMarshal.GetReference(ready), ready.Length, timeoutMilliseconds);
        return count >= 0 || Marshal.GetLastPInvokeError() == 4 /* EINTR */ ? Math.Max(count, 0) : Check(count, "epoll_wait");
    }

    public void Dispose() => CloseDescriptor(_fd);

    private static int Check(int result, string call) =>
        result >= 0 ? result : throw new SocketException(Marshal.GetLastPInvokeError(), $"{call} failed");

    /// <summary>struct epoll_event as x86-64 Linux lays it out (packed).</summary>
    [StructLayout(LayoutKind.Sequential, Pack = 4)]
    public struct Event
    {
        public uint Events;
        public ulong Data;

        public readonly int Tag => (int)Data;
    }

    [LibraryImport("libc", EntryPoint = "epoll_create1", SetLastError = true)]
    private static partial int Create(int flags);

    [LibraryImport("libc", EntryPoint = "epoll_ctl", SetLastError = true)]
    private static partial int Control(int epoll, int operation, int fd, ref Event registration);

    [LibraryImport("libc", EntryPoint = "epoll_wait", SetLastError = true)]
    private static partial int Wait(int epoll, ref Event events, int maxEvents, int timeoutMilliseconds);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int CloseDescriptor(int fd);
}
