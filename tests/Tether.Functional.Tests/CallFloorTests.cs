using System.Net;
using Tether.Bench.Floor;

namespace Tether.Functional.Tests;

/// <summary>The call floor's client and echo server: every request answered, none left in flight.</summary>
[Collection(FunctionalSerial.Name)]
public sealed class CallFloorTests
{
    [Theory]
    [InlineData(1, 64)]
    [InlineData(16, 64)]
    [InlineData(7, 1000)] // replies that straddle reads
    public void Every_request_is_answered_and_the_run_drains(int outstanding, int size)
    {
        using var server = CallFloorServerChild.Listen();
        var (calls, elapsed, cpu) = CallFloor.Drive((IPEndPoint)server.LocalEndPoint!, outstanding, size, TimeSpan.FromMilliseconds(300));
        Assert.True(calls >= outstanding, $"{calls} calls answered");
        Assert.InRange(elapsed, TimeSpan.FromMilliseconds(300), TimeSpan.FromSeconds(30));
        Assert.True(cpu > TimeSpan.Zero);
    }
}
