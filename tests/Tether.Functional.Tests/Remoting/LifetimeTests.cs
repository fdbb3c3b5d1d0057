using System.Runtime.CompilerServices;
using Tether.Remoting;
using Tether.Tests.Infrastructure;

namespace Tether.Functional.Tests.Remoting;

public sealed class LifetimeTests
{
    [Fact]
    public async Task DisposingAProxyReleasesTheExport()
    {
        await using var pair = await LoopbackSessions.StartAsync(new Calculator());
        var child = await pair.Client.Root.CallAsync<RemoteReference>("GetChild", "a");
        Assert.Equal(2, pair.Server.GetStatistics().Exports); // the root and the child
        Assert.Equal(1, pair.Client.GetStatistics().Imports);
        child.Dispose();
        await Eventually.TrueAsync(() => pair.Server.GetStatistics().Exports == 1, "the decref to remove the export");
        Assert.Equal(0, pair.Client.GetStatistics().Imports);
        var released = await Assert.ThrowsAsync<ObjectDisposedException>(() => child.CallAsync<string>("Name"));
        Assert.Contains("released", released.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SameObjectSentTwiceIsOneProxyAndOneExport()
    {
        var shared = new Child("shared");
        await using var pair = await LoopbackSessions.StartAsync(new SharedRoot(shared));
        var first = await pair.Client.Root.CallAsync<RemoteReference>("Get");
        var second = await pair.Client.Root.CallAsync<RemoteReference>("Get");
        Assert.Same(first, second);
        Assert.Equal(2, pair.Server.GetStatistics().Exports);
        first.Dispose(); // releases both receipts at once
        await Eventually.TrueAsync(() => pair.Server.GetStatistics().Exports == 1, "the export to go after one release of two receipts");
    }

    [Fact]
    public async Task UnreachableProxyIsReleasedByTheGarbageCollector()
    {
        await using var pair = await LoopbackSessions.StartAsync(new Calculator());
        await FetchAndDropAsync(pair.Client);
        Assert.Equal(2, pair.Server.GetStatistics().Exports);
        await Eventually.TrueAsync(
            () =>
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
                return pair.Server.GetStatistics().Exports == 1;
            },
            "finalization to decref the export");
    }

    [Fact]
    public async Task ExportTableIsBoundedWithAClearError()
    {
        await using var pair = await LoopbackSessions.StartAsync(new Calculator(), o => o.MaxExports = 3);
        var kept = new List<RemoteReference>();
        kept.Add(await pair.Client.Root.CallAsync<RemoteReference>("GetChild", "1"));
        kept.Add(await pair.Client.Root.CallAsync<RemoteReference>("GetChild", "2"));
        var error = await Assert.ThrowsAsync<RemoteCallException>(() => pair.Client.Root.CallAsync<RemoteReference>("GetChild", "3"));
        Assert.Equal(typeof(TetherLimitException).FullName, error.RemoteType);
        Assert.Contains("MaxExports = 3", error.Message, StringComparison.Ordinal);
        kept[0].Dispose();
        await Eventually.TrueAsync(() => pair.Server.GetStatistics().Exports == 2, "room in the export table");
        kept.Add(await pair.Client.Root.CallAsync<RemoteReference>("GetChild", "3"));
        Assert.True(pair.Client.IsConnected);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static async Task FetchAndDropAsync(TetherSession client)
    {
        var child = await client.Root.CallAsync<RemoteReference>("GetChild", "a");
        Assert.Equal("a", await child.CallAsync<string>("Name"));
    }

    internal sealed class SharedRoot(IChild shared) : IReferenceable
    {
        [RemoteName("Get")]
        public IChild Get() => shared;
    }
}
