using System.Diagnostics;
using System.Net;
using System.Runtime.InteropServices;
using Tether.Bench.Floor;
using Tether.Functional.Tests.Infrastructure;

namespace Tether.Functional.Tests;

/// <summary>
/// The bare epoll loops of <c>tether bench floor</c> on real loopback sockets: the floor it reports is only a floor if
/// its listener really reads (and answers) every connection's keepalives.
/// </summary>
[Collection(FunctionalSerial.Name)]
public sealed class KeepaliveFloorTests
{
    private const int Connections = 50;
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [SkippableFact]
    public async Task The_listener_reads_and_answers_every_connections_messages()
    {
        RequireEpoll();
        using var reactor = new EchoReactor(new IPEndPoint(IPAddress.Loopback, 0), Connections, answer: true, coalesce: TimeSpan.Zero);
        using var schedule = PingSchedule.Start([reactor.LocalEndPoint], Connections, Interval);

        // Every connection sends once per interval: ten rounds are 500 messages, each echoed.
        await WaitUntilAsync(() => schedule.Replies >= 10 * Connections);
        Assert.Equal(Connections, reactor.Accepted);
        Assert.True(reactor.Messages >= schedule.Replies, $"{reactor.Messages} messages read, {schedule.Replies} replies");
    }

    [SkippableFact]
    public async Task A_listener_that_does_not_answer_still_reads_everything_and_sends_nothing()
    {
        RequireEpoll();
        using var reactor = new EchoReactor(new IPEndPoint(IPAddress.Loopback, 0), Connections, answer: false, coalesce: TimeSpan.FromMilliseconds(20));
        using var schedule = PingSchedule.Start([reactor.LocalEndPoint], Connections, Interval);

        await WaitUntilAsync(() => reactor.Messages >= 10 * Connections);
        Assert.Equal(0, schedule.Replies);
    }

    [Fact]
    public void An_observation_survives_the_line_it_crosses_the_process_boundary_in()
    {
        var observation = new FloorObservation(TimeSpan.FromSeconds(60.5), TimeSpan.FromMilliseconds(734), 1_000_003);
        Assert.Equal(observation, FloorObservation.Parse(observation.Format()));
        Assert.Throws<FormatException>(() => FloorObservation.Parse("1 2"));
    }

    private static void RequireEpoll() => Requirements.Require(
        OperatingSystem.IsLinux() && RuntimeInformation.ProcessArchitecture == Architecture.X64,
        "the keepalive floor's epoll loops", "they call epoll directly and support Linux on x86-64 only");

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var waited = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(waited.Elapsed < Patience, $"not reached within {Patience.TotalSeconds:0} s");
            await Task.Delay(20);
        }
    }
}
