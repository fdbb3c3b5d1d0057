using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Tether.Functional.Tests.Infrastructure;
using Tether.Lab.Netns;
using Tether.Pb.Protocol;
using Xunit.Abstractions;

namespace Tether.Functional.Tests.Pb;

/// <summary>
/// Liveness over PB with real kernel TCP on a slow link between two network namespaces: a Twisted server in one, a
/// Tether PB connection in the other. PB cannot chunk a message, so each large message occupies the link for many dead
/// timeouts; neither direction may be declared dead, and a black hole must still be detected within the bound.
/// </summary>
[Collection(FunctionalSerial.Name)]
public sealed class PbSlowLinkTests(ITestOutputHelper output)
{
    private const int KbitPerSecond = 256;
    private const int MessageBytes = 512 * 1024; // ~16 s at 256 kbit/s: four dead timeouts
    private static readonly PbLivenessOptions Liveness = new() { KeepaliveInterval = TimeSpan.FromSeconds(1), DeadTimeout = TimeSpan.FromSeconds(4) };

    [SkippableFact]
    public async Task Large_messages_both_ways_over_a_slow_link_keep_the_connection_and_a_black_hole_is_detected_within_the_bound()
    {
        Requirements.RequireNetnsLab("PB slow-link test");
        var python = TwistedPython.Require("PB slow-link test");
        await using var lab = await NetnsLab.CreateAsync();
        await lab.SetRateAsync(LabSide.Both, KbitPerSecond, TimeSpan.FromSeconds(1));
        await using var connection = await ConnectAsync(lab, python);

        // Python → Tether: every arriving byte is life.
        var clock = Stopwatch.StartNew();
        var blob = (byte[])(await connection.Root.CallRemoteAsync("blob", MessageBytes))!;
        var download = clock.Elapsed;
        Assert.Equal(MessageBytes, blob.Length);

        // Tether → Python: the peer sends nothing until it has the whole message; its TCP acknowledgements are the life.
        clock.Restart();
        Assert.Equal((long)MessageBytes, await connection.Root.CallRemoteAsync("size", new byte[MessageBytes]));
        var upload = clock.Elapsed;
        output.WriteLine($"{MessageBytes / 1024} KiB over {KbitPerSecond} kbit/s with a {Liveness.DeadTimeout.TotalSeconds:0} s dead timeout: answer from Python in {download.TotalSeconds:0.0} s, argument to Python in {upload.TotalSeconds:0.0} s");
        Assert.False(connection.Closed.IsCompleted, $"the connection was lost: {(connection.Closed.IsCompleted ? connection.Closed.Result.Message : null)}");
        Assert.True(download > 3 * Liveness.DeadTimeout && upload > 3 * Liveness.DeadTimeout, "the link is not slow enough to prove anything");

        // A black hole in the middle of another upload: no acknowledgements, no bytes, dead within the bound.
        var uploading = connection.Root.CallRemoteAsync("size", new byte[MessageBytes]);
        await Task.Delay(TimeSpan.FromSeconds(3));
        clock.Restart();
        await lab.BlackholeAsync();
        var reason = await connection.Closed.WaitAsync(TimeSpan.FromSeconds(30));
        var detected = clock.Elapsed;
        output.WriteLine($"black hole during the upload detected after {detected.TotalSeconds:0.00} s: {reason.Message}");
        Assert.IsType<PbDeadPeerException>(reason);
        await Assert.ThrowsAsync<PbConnectionLostException>(() => uploading);

        // The bound: the dead timeout, plus one acknowledgement poll (1 s) and a tick, plus scheduling slack.
        Assert.True(detected <= Liveness.DeadTimeout + TimeSpan.FromSeconds(2), $"detected after {detected.TotalSeconds:0.00} s");
    }

    [SkippableFact]
    public async Task A_black_hole_while_idle_is_detected_within_the_bound()
    {
        Requirements.RequireNetnsLab("PB black-hole test");
        var python = TwistedPython.Require("PB black-hole test");
        await using var lab = await NetnsLab.CreateAsync();
        await using var connection = await ConnectAsync(lab, python);

        // Idle through several keepalive intervals: the pings are answered, nothing happens.
        await Task.Delay(Liveness.DeadTimeout);
        Assert.False(connection.Closed.IsCompleted);
        Assert.NotNull(connection.SmoothedRoundTripTime);

        var clock = Stopwatch.StartNew();
        await lab.BlackholeAsync();
        var reason = await connection.Closed.WaitAsync(TimeSpan.FromSeconds(30));
        output.WriteLine($"idle black hole detected after {clock.Elapsed.TotalSeconds:0.00} s: {reason.Message}");
        Assert.IsType<PbDeadPeerException>(reason);
        Assert.True(clock.Elapsed <= Liveness.DeadTimeout + TimeSpan.FromSeconds(1.5), $"detected after {clock.Elapsed.TotalSeconds:0.00} s");
    }

    private static async Task<PbConnection> ConnectAsync(NetnsLab lab, string python)
    {
        var server = lab.StartJsonLines(LabSide.B, python, [TwistedPython.Script("pb_server.py"), "root", lab.AddressB.ToString()]);
        var listening = await server.WaitForEventAsync("listening", TimeSpan.FromSeconds(30));
        var socket = lab.CreateSocketIn(LabSide.A);
        try
        {
            socket.NoDelay = true;
            await socket.ConnectAsync(new IPEndPoint(lab.AddressB, listening["port"]!.GetValue<int>()));
            return await PbConnection.ConnectAsync(new NetworkStream(socket, ownsSocket: true), new PbConnectionOptions { Liveness = Liveness });
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
