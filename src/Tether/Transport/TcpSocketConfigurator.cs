using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace Tether.Transport;

/// <summary>Applies <see cref="TcpTransportOptions"/> to a socket and reads the effective values back.</summary>
public static partial class TcpSocketConfigurator
{
    /// <summary>Linux TCP_USER_TIMEOUT (milliseconds).</summary>
    public const int TcpUserTimeoutOption = 18;

    /// <summary>Linux TCP_NOTSENT_LOWAT (bytes).</summary>
    public const int TcpNotSentLowWatermarkOption = 25;

    private const int IpProtoTcp = 6;
    private static int s_warnedUnsupported;

    /// <summary>
    /// Applies the options. Options the platform lacks are skipped with one warning per process, never thrown.
    /// </summary>
    /// <param name="socket">A TCP socket (connected or about to be).</param>
    /// <param name="options">Transport options.</param>
    /// <param name="deadTimeout">The connection's dead timeout, from which kernel backstops are derived.</param>
    /// <param name="logger">Where the one-time warning goes.</param>
    public static void Apply(Socket socket, TcpTransportOptions options, TimeSpan deadTimeout, ILogger? logger)
    {
        ArgumentNullException.ThrowIfNull(socket);
        ArgumentNullException.ThrowIfNull(options);
        socket.NoDelay = options.NoDelay;
        if (options.SendBufferSize is { } sndbuf)
        {
            socket.SendBufferSize = sndbuf;
        }

        if (options.ReceiveBufferSize is { } rcvbuf)
        {
            socket.ReceiveBufferSize = rcvbuf;
        }

        var kernel = KernelLivenessSettings.FromDeadTimeout(deadTimeout);
        if (options.KernelKeepalive)
        {
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
            TryApply(logger, "TCP keepalive idle/interval/count", () =>
            {
                socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime, (int)kernel.KeepaliveIdle.TotalSeconds);
                socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveInterval, (int)kernel.KeepaliveInterval.TotalSeconds);
                socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveRetryCount, kernel.KeepaliveCount);
            });
        }

        if (!OperatingSystem.IsLinux())
        {
            if (options.UserTimeout || options.NotSentLowWatermark is not null)
            {
                WarnOnce(logger, "TCP_USER_TIMEOUT/TCP_NOTSENT_LOWAT", "they exist on Linux only");
            }

            return;
        }

        if (options.UserTimeout)
        {
            TryApply(logger, "TCP_USER_TIMEOUT", () => SetInt(socket, TcpUserTimeoutOption, (int)kernel.UserTimeout.TotalMilliseconds));
        }

        if (options.NotSentLowWatermark is { } lowat)
        {
            TryApply(logger, "TCP_NOTSENT_LOWAT", () => SetInt(socket, TcpNotSentLowWatermarkOption, lowat));
        }
    }

    /// <summary>Reads the effective socket options back from the kernel.</summary>
    /// <param name="socket">The socket.</param>
    /// <returns>The values; Linux-only options are null elsewhere.</returns>
    public static EffectiveSocketOptions ReadBack(Socket socket)
    {
        ArgumentNullException.ThrowIfNull(socket);
        var keepalive = (int)socket.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive)! != 0;
        int? idle = null, interval = null, count = null, userTimeout = null, lowat = null;
        try
        {
            idle = (int)socket.GetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime)!;
            interval = (int)socket.GetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveInterval)!;
            count = (int)socket.GetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveRetryCount)!;
        }
        catch (Exception e) when (e is SocketException or PlatformNotSupportedException)
        {
        }

        if (OperatingSystem.IsLinux())
        {
            userTimeout = GetInt(socket, TcpUserTimeoutOption);
            lowat = GetInt(socket, TcpNotSentLowWatermarkOption);
        }

        return new EffectiveSocketOptions(socket.NoDelay, keepalive, idle, interval, count, userTimeout, lowat);
    }

    /// <summary>Sets TCP_NOTSENT_LOWAT (Linux).</summary>
    /// <param name="socket">The socket.</param>
    /// <param name="bytes">The limit.</param>
    internal static void SetNotSentLowWatermark(Socket socket, int bytes) => SetInt(socket, TcpNotSentLowWatermarkOption, bytes);

    private static void SetInt(Socket socket, int option, int value)
    {
        Span<byte> bytes = stackalloc byte[sizeof(int)];
        BitConverter.TryWriteBytes(bytes, value);
        socket.SetRawSocketOption(IpProtoTcp, option, bytes);
    }

    private static int? GetInt(Socket socket, int option)
    {
        Span<byte> bytes = stackalloc byte[sizeof(int)];
        try
        {
            var length = socket.GetRawSocketOption(IpProtoTcp, option, bytes);
            return length == sizeof(int) ? BitConverter.ToInt32(bytes) : null;
        }
        catch (SocketException)
        {
            return null;
        }
    }

    private static void TryApply(ILogger? logger, string what, Action apply)
    {
        try
        {
            apply();
        }
        catch (Exception e) when (e is SocketException or PlatformNotSupportedException)
        {
            WarnOnce(logger, what, e.Message);
        }
    }

    private static void WarnOnce(ILogger? logger, string what, string why)
    {
        if (logger is not null && Interlocked.Exchange(ref s_warnedUnsupported, 1) == 0)
        {
            LogUnsupported(logger, what, why);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Socket option {Option} is not available on this platform ({Why}); continuing without it. The application-level liveness checks still apply.")]
    private static partial void LogUnsupported(ILogger logger, string option, string why);
}

/// <summary>Socket options as the kernel reports them.</summary>
/// <param name="NoDelay">TCP_NODELAY.</param>
/// <param name="Keepalive">SO_KEEPALIVE.</param>
/// <param name="KeepaliveIdleSeconds">TCP_KEEPIDLE.</param>
/// <param name="KeepaliveIntervalSeconds">TCP_KEEPINTVL.</param>
/// <param name="KeepaliveCount">TCP_KEEPCNT.</param>
/// <param name="UserTimeoutMilliseconds">TCP_USER_TIMEOUT (Linux).</param>
/// <param name="NotSentLowWatermark">TCP_NOTSENT_LOWAT (Linux).</param>
public readonly record struct EffectiveSocketOptions(
    bool NoDelay,
    bool Keepalive,
    int? KeepaliveIdleSeconds,
    int? KeepaliveIntervalSeconds,
    int? KeepaliveCount,
    int? UserTimeoutMilliseconds,
    int? NotSentLowWatermark);
