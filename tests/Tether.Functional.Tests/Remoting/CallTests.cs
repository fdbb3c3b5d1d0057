using System.Numerics;
using Tether.Protocol;
using Tether.Remoting;
using Tether.Tests.Infrastructure;

namespace Tether.Functional.Tests.Remoting;

public sealed class CallTests
{
    private static void Register(RemotingOptions options) => options.Types.AddCopyable<Node>("Node").AddCopyable<Pair>("Pair");

    [Fact]
    public async Task CallAsyncAndTypedProxyReachTheRemoteObject()
    {
        await using var pair = await LoopbackSessions.StartAsync(new Calculator());
        Assert.Equal(5, await pair.Client.Root.CallAsync<int>("Add", 2, 3));
        var calculator = pair.Client.Root.As<ICalculator>();
        Assert.Equal(42, await calculator.AddAsync(40, 2));
        Assert.Equal("héllo ✓", await calculator.EchoAsync("héllo ✓"));
    }

    [Fact]
    public async Task ValuesKeepTheirTypes()
    {
        await using var pair = await LoopbackSessions.StartAsync(new Calculator());
        var calculator = pair.Client.Root.As<ICalculator>();
        var big = BigInteger.Parse("123456789012345678901234567890", System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(big, await calculator.RoundTripAsync(big));
        Assert.Equal(-7L, await calculator.RoundTripAsync(-7));
        Assert.Equal(ulong.MaxValue, await calculator.RoundTripAsync(ulong.MaxValue));
        Assert.Equal(1.5, await calculator.RoundTripAsync(1.5));
        Assert.Null(await calculator.RoundTripAsync(null));
        Assert.Equal(new byte[] { 1, 2, 3 }, await calculator.RoundTripAsync(new byte[] { 1, 2, 3 }));
        var id = Guid.NewGuid();
        Assert.Equal(id, await calculator.RoundTripAsync(id));
        Assert.Equal(TimeSpan.FromMilliseconds(1234), await calculator.RoundTripAsync(TimeSpan.FromMilliseconds(1234)));
        var list = Assert.IsType<List<object?>>(await calculator.RoundTripAsync(new object?[] { 1, "two", null }));
        Assert.Equal([1L, "two", null], list);
        var map = Assert.IsType<Dictionary<object, object?>>(await calculator.RoundTripAsync(new Dictionary<string, int> { ["a"] = 1 }));
        Assert.Equal(1L, map["a"]);
        Assert.Equal(10, await calculator.SumAsync([1, 2, 3], new Dictionary<string, int> { ["x"] = 4 }));
    }

    [Fact]
    public async Task RemoteExceptionArrivesWithTypeAndMessageButNoStackTrace()
    {
        await using var pair = await LoopbackSessions.StartAsync(new Calculator());
        var error = await Assert.ThrowsAsync<RemoteCallException>(() => pair.Client.Root.As<ICalculator>().FailAsync("boom"));
        Assert.Equal("System.InvalidOperationException", error.RemoteType);
        Assert.Equal("boom", error.Message);
        Assert.Null(error.RemoteStackTrace);
    }

    [Fact]
    public async Task StackTraceIsSentOnlyWhenTheServerOptsIn()
    {
        await using var pair = await LoopbackSessions.StartAsync(new Calculator(), o => o.IncludeExceptionDetails = true);
        var error = await Assert.ThrowsAsync<RemoteCallException>(() => pair.Client.Root.CallAsync("Fail", "boom"));
        Assert.Contains(nameof(Calculator.FailAsync), error.RemoteStackTrace, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NonexistentMethodGetsAClearErrorAndTheConnectionStaysUp()
    {
        await using var pair = await LoopbackSessions.StartAsync(new Calculator());
        var error = await Assert.ThrowsAsync<RemoteCallException>(() => pair.Client.Root.CallAsync("NoSuchMethod", 1));
        Assert.Equal(typeof(MissingMethodException).FullName, error.RemoteType);
        Assert.Contains("NoSuchMethod", error.Message, StringComparison.Ordinal);
        var wrongCount = await Assert.ThrowsAsync<RemoteCallException>(() => pair.Client.Root.CallAsync("Add", 1));
        Assert.Contains("takes 2 arguments, not 1", wrongCount.Message, StringComparison.Ordinal);
        Assert.Equal(3, await pair.Client.Root.CallAsync<int>("Add", 1, 2));
        Assert.True(pair.Client.IsConnected);
    }

    [Fact]
    public async Task ArgumentOfTheWrongTypeIsRefusedAndTheConnectionStaysUp()
    {
        await using var pair = await LoopbackSessions.StartAsync(new Calculator());
        var error = await Assert.ThrowsAsync<RemoteCallException>(() => pair.Client.Root.CallAsync("Add", "one", 2));
        Assert.Equal(typeof(TetherSerializationException).FullName, error.RemoteType);
        Assert.Equal(3, await pair.Client.Root.CallAsync<int>("Add", 1, 2));
    }

    [Fact]
    public async Task UnregisteredCopyableIsRefusedOnBothSidesAndTheConnectionStaysUp()
    {
        // Sender does not know the type: refused before anything is sent.
        await using var pair = await LoopbackSessions.StartAsync(new Calculator(), configure: null, configureClient: o => o.Types.AddCopyable<Unregistered>("Unregistered"));
        var local = await Assert.ThrowsAsync<TetherSerializationException>(() => pair.Server.Root.CallAsync("Anything", new Unregistered(1)));
        Assert.Contains("cannot be sent", local.Message, StringComparison.Ordinal);

        // Receiver does not know the type: the call is refused remotely with the type's wire name.
        var remote = await Assert.ThrowsAsync<RemoteCallException>(() => pair.Client.Root.CallAsync("RoundTrip", new Unregistered(1)));
        Assert.Equal(typeof(TetherSerializationException).FullName, remote.RemoteType);
        Assert.Contains("'Unregistered' is not registered", remote.Message, StringComparison.Ordinal);
        Assert.Equal(3, await pair.Client.Root.CallAsync<int>("Add", 1, 2));
    }

    [Fact]
    public async Task CallbackPassedAsAnArgumentIsCalledBack()
    {
        await using var pair = await LoopbackSessions.StartAsync(new Calculator());
        var callback = new CountingCallback();
        Assert.Equal(30, await pair.Client.Root.As<ICalculator>().CallBackAsync(callback, 3));
        Assert.Equal(3, callback.Count);
    }

    [Fact]
    public async Task ThreeLevelsOfNestedReferences()
    {
        await using var pair = await LoopbackSessions.StartAsync(new Calculator());
        var first = await pair.Client.Root.As<ICalculator>().GetChildAsync("a");
        var second = await first.GetChildAsync("b");
        var third = await second.GetChildAsync("c");
        Assert.Equal("a/b/c", await third.NameAsync());
        Assert.Equal("a/b", await second.NameAsync());
    }

    [Fact]
    public async Task CopyableGraphKeepsSharedAndCyclicReferences()
    {
        await using var pair = await LoopbackSessions.StartAsync(new Calculator(), Register);
        var shared = new Node { Name = "shared" };
        var root = new Node { Name = "root", Children = [shared, shared] };
        root.Next = root; // cycle
        shared.Next = root; // cycle through a child
        var back = await pair.Client.Root.As<ICalculator>().RelayNodeAsync(root);
        Assert.NotSame(root, back);
        Assert.Equal("root", back.Name);
        Assert.Same(back, back.Next);
        Assert.Same(back.Children[0], back.Children[1]);
        Assert.Same(back, back.Children[0].Next);

        var inner = new Pair("inner", [1, 2], null);
        var outer = await pair.Client.Root.As<ICalculator>().RelayPairAsync(new Pair("outer", [3], inner));
        Assert.Equal(inner, outer.Inner! with { Numbers = inner.Numbers });
        Assert.Equal([1, 2], outer.Inner!.Numbers);
    }

    [Fact]
    public async Task AddedFieldsAreToleratedAndMissingOnesTakeDefaults()
    {
        // The client's "Pair" v2 has an extra member; the server's v1 ignores it. The reply (v1) lacks it: default.
        await using var pair = await LoopbackSessions.StartAsync(new Calculator(), Register, o => o.Types.AddCopyable<PairV2>("Pair"));
        var back = await pair.Client.Root.CallAsync<PairV2>("RelayPair", new PairV2("x", [1], null, "added"));
        Assert.Equal("x", back.Label);
        Assert.Null(back.Comment);
    }

    [Fact]
    public async Task CancellationReachesTheRemoteMethod()
    {
        var calculator = new Calculator();
        await using var pair = await LoopbackSessions.StartAsync(calculator);
        using var cancel = new CancellationTokenSource();
        var call = pair.Client.Root.As<ICalculator>().WaitForCancelAsync(cancel.Token);
        await calculator.Entered.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        Assert.True(await calculator.CancellationSeen.Task.WaitAsync(TimeSpan.FromSeconds(10)));
        await Eventually.TrueAsync(() => pair.Server.GetStatistics().IncomingCalls == 0, "the cancelled call to finish on the server");
        Assert.Equal(0, pair.Client.GetStatistics().OutstandingCalls);
    }

    public sealed record PairV2(string Label, int[] Numbers, PairV2? Inner, string? Comment);
}
