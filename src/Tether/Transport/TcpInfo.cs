using System.Buffers.Binary;
using System.Net.Sockets;

namespace Tether.Transport;

/// <summary>
/// A snapshot of the kernel's view of a TCP connection (Linux <c>struct tcp_info</c>). Fields the running kernel did
/// not return are null: the length getsockopt returns is checked before each field is read.
/// </summary>
/// <param name="State">TCP state (1 = ESTABLISHED).</param>
/// <param name="Retransmits">Retransmissions of the current segment.</param>
/// <param name="RetransmitTimeout">Current retransmission timeout.</param>
/// <param name="Unacked">Segments sent and not yet acknowledged.</param>
/// <param name="LastDataSent">Time since the last data was sent.</param>
/// <param name="LastDataReceived">Time since the last data was received.</param>
/// <param name="RoundTripTime">Smoothed RTT.</param>
/// <param name="RoundTripTimeVariance">RTT variance.</param>
/// <param name="CongestionWindow">Congestion window in segments.</param>
/// <param name="TotalRetransmits">Total retransmitted segments.</param>
/// <param name="BytesAcked">Bytes acknowledged by the peer.</param>
/// <param name="BytesReceived">Bytes received from the peer.</param>
/// <param name="NotSentBytes">Bytes queued in the socket and not yet sent.</param>
/// <param name="MinRoundTripTime">Minimum RTT seen.</param>
/// <param name="DeliveryRate">The kernel's estimate of the recent delivery rate, bytes per second.</param>
public sealed record TcpInfo(
    byte State,
    byte Retransmits,
    TimeSpan RetransmitTimeout,
    uint Unacked,
    TimeSpan LastDataSent,
    TimeSpan LastDataReceived,
    TimeSpan RoundTripTime,
    TimeSpan RoundTripTimeVariance,
    uint CongestionWindow,
    uint TotalRetransmits,
    ulong? BytesAcked,
    ulong? BytesReceived,
    uint? NotSentBytes,
    TimeSpan? MinRoundTripTime,
    ulong? DeliveryRate)
{
    private const int TcpInfoOption = 11;
    private const int IpProtoTcp = 6;
    private const int BufferSize = 512;

    /// <summary>Reads TCP_INFO from a socket; null on platforms other than Linux or when the call fails.</summary>
    /// <param name="socket">A TCP socket.</param>
    /// <returns>The snapshot, or null.</returns>
    public static TcpInfo? Read(Socket socket)
    {
        ArgumentNullException.ThrowIfNull(socket);
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        Span<byte> buffer = stackalloc byte[BufferSize];
        int length;
        try
        {
            length = socket.GetRawSocketOption(IpProtoTcp, TcpInfoOption, buffer);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return null;
        }

        return Parse(buffer[..length]);
    }

    /// <summary>Parses the bytes of a <c>struct tcp_info</c> as returned by the kernel (native byte order).</summary>
    /// <param name="info">The returned bytes; shorter (older kernel) buffers yield nulls for later fields.</param>
    /// <returns>The snapshot, or null if even the basic fields are missing.</returns>
    public static TcpInfo? Parse(ReadOnlySpan<byte> info)
    {
        // Offsets follow struct tcp_info in linux/tcp.h; 104 bytes cover everything up to tcpi_total_retrans.
        if (info.Length < 104)
        {
            return null;
        }

        return new TcpInfo(
            State: info[0],
            Retransmits: info[2],
            RetransmitTimeout: Micros(U32(info, 8)),
            Unacked: U32(info, 24),
            LastDataSent: Millis(U32(info, 44)),
            LastDataReceived: Millis(U32(info, 52)),
            RoundTripTime: Micros(U32(info, 68)),
            RoundTripTimeVariance: Micros(U32(info, 72)),
            CongestionWindow: U32(info, 80),
            TotalRetransmits: U32(info, 100),
            BytesAcked: info.Length >= 128 ? U64(info, 120) : null,
            BytesReceived: info.Length >= 136 ? U64(info, 128) : null,
            NotSentBytes: info.Length >= 148 ? U32(info, 144) : null,
            MinRoundTripTime: info.Length >= 152 ? Micros(U32(info, 148)) : null,
            DeliveryRate: info.Length >= 168 ? U64(info, 160) : null);
    }

    private static uint U32(ReadOnlySpan<byte> b, int offset) => BitConverter.IsLittleEndian
        ? BinaryPrimitives.ReadUInt32LittleEndian(b[offset..])
        : BinaryPrimitives.ReadUInt32BigEndian(b[offset..]);

    private static ulong U64(ReadOnlySpan<byte> b, int offset) => BitConverter.IsLittleEndian
        ? BinaryPrimitives.ReadUInt64LittleEndian(b[offset..])
        : BinaryPrimitives.ReadUInt64BigEndian(b[offset..]);

    private static TimeSpan Micros(uint value) => TimeSpan.FromMicroseconds(value);

    private static TimeSpan Millis(uint value) => TimeSpan.FromMilliseconds(value);
}
