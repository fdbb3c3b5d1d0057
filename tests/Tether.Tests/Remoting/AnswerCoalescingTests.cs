using Tether.Remoting;
using Tether.Tests.Infrastructure;

namespace Tether.Tests.Remoting;

/// <summary>
/// The session holds its writes while it handles messages that arrived together: the answers to a run of calls leave in
/// a few socket writes, not one each.
/// </summary>
public sealed class AnswerCoalescingTests
{
    private const int Calls = 32;

    public interface ICounter : IReferenceable
    {
        Task<int> NextAsync(int value);
    }

    [Fact]
    public async Task Answers_to_calls_that_arrive_together_share_socket_writes()
    {
        await using var pair = await ConnectionPair.CreateAsync();
        TetherSession.Start(pair.Listener, new RemotingOptions(), root: new Counter());
        var proxy = TetherSession.Start(pair.Connector, new RemotingOptions()).Root.As<ICounter>();
        Assert.Equal(1, await proxy.NextAsync(0));

        // Hold the caller's socket so the calls pile up and reach the listener in (nearly) one read.
        pair.ConnectorTransport.PauseSends();
        var writesBefore = pair.ListenerTransport.Sent.Count;
        var calls = Enumerable.Range(0, Calls).Select(proxy.NextAsync).ToArray();
        await Eventually.TrueAsync(() => pair.ConnectorTransport.WaitingSends > 0, "the first call's write to be held");
        pair.ConnectorTransport.ResumeSends();
        var answers = await Task.WhenAll(calls).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(Enumerable.Range(1, Calls), answers);
        var writes = pair.ListenerTransport.Sent.Count - writesBefore;

        // The first call may be written (and answered) alone before the rest gather behind it; the others arrive
        // together. Without the hold each answer is its own write (this side has no other call in flight, so every
        // answer counts as a lone message and is written at once).
        Assert.InRange(writes, 1, 4);
    }

    private sealed class Counter : ICounter
    {
        public Task<int> NextAsync(int value) => Task.FromResult(value + 1);
    }
}
