using System.Net;
using System.Net.Sockets;
using Tether.Tests.Infrastructure;
using Tether.Transport;

namespace Tether.Functional.Tests;

/// <summary>
/// How <see cref="SocketTransport"/> tells the endings Linux reports to a reader as end of stream apart, with real
/// kernel sockets on loopback.
/// </summary>
public sealed class SocketEndingTests
{
    [SkippableFact]
    public async Task End_of_stream_after_a_FIN_is_orderly()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "TCP_INFO and SO_ERROR after end of stream are read on Linux only");
        var (ours, theirs) = await PairAsync();
        using var transport = new SocketTransport(ours);
        using (theirs)
        {
            theirs.Shutdown(SocketShutdown.Send);
            Assert.Equal(0, await transport.ReceiveAsync(new byte[16], CancellationToken.None));
            Assert.Null(transport.ClassifyEndOfStream());
        }
    }

    [SkippableFact]
    public async Task A_reset_not_yet_read_is_classified_as_a_reset()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "TCP_INFO and SO_ERROR after end of stream are read on Linux only");
        var (ours, theirs) = await PairAsync();
        using var transport = new SocketTransport(ours);
        theirs.LingerState = new LingerOption(true, 0);
        theirs.Dispose();

        const byte TcpClose = 7;
        await Eventually.TrueAsync(() => transport.GetTcpInfo()?.State == TcpClose, "the reset to arrive");
        var ending = transport.ClassifyEndOfStream();
        Assert.Equal((DisconnectReason.PeerReset, "connection reset (seen at end of stream)"), ending);
    }

    private static async Task<(Socket Ours, Socket Theirs)> PairAsync()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        var ours = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await ours.ConnectAsync(listener.LocalEndPoint!);
        return (ours, await listener.AcceptAsync());
    }
}
