using Tether.Remoting;
using Tether.Tests.Framing;
using Tether.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Tether.Tests.Remoting;

/// <summary>
/// Guards the steady-state cost of a small call (an int and a 32-character string, a copyable record back), both ends
/// in this process over in-memory transports: what the caller and the callee allocate per call together.
/// </summary>
/// <remarks>
/// Measured 449 B on 2026-11-27 (.NET 10): 537-541 B before the callee's arguments stopped being boxed (512 B after)
/// and the caller's proxy became an emitted class that puts its arguments in slots (449 B after). About 440 B of it is
/// values and machinery outside the session's control: the string argument and the result's string (2 x 88 B), the
/// result record on each side (2 x 32 B), the callee's <c>Task.FromResult</c> and the caller's task (2 x 64 B),
/// <see cref="PendingCall{T}"/> (40 B) and the int boxed for the record's ConstructorInvoker on the caller (24 B);
/// allocation sampling attributes nothing else.
/// The margin is below the smallest object (24 B), so any new per-call allocation fails the test.
/// </remarks>
[Collection(nameof(AllocationSensitive))]
public sealed class CallAllocationTests(ITestOutputHelper output)
{
    private const int WarmUpCalls = 2_000;
    private const int MeasuredCalls = 50_000;
    private const double AllowedBytesPerCall = 470;
    private static readonly string Text = new('x', 32);

    public interface IEcho : IReferenceable
    {
        Task<Reply> EchoAsync(int id, string text);
    }

    public sealed record Reply(int Id, string Text);

    [Fact]
    public async Task A_steady_state_small_call_allocates_no_more_than_measured()
    {
        await using var pair = await ConnectionPair.CreateAsync();
        pair.ConnectorTransport.RecordSends = false;
        pair.ListenerTransport.RecordSends = false;
        var options = new RemotingOptions();
        options.Types.AddCopyable<Reply>(nameof(Reply));
        TetherSession.Start(pair.Listener, options, root: new Echo());
        var proxy = TetherSession.Start(pair.Connector, options).Root.As<IEcho>();

        for (var i = 0; i < WarmUpCalls; i++)
        {
            await proxy.EchoAsync(i, Text);
        }

        var before = GC.GetTotalAllocatedBytes(precise: true);
        for (var i = 0; i < MeasuredCalls; i++)
        {
            if ((await proxy.EchoAsync(i, Text)).Id != i)
            {
                Assert.Fail($"call {i} got another call's answer");
            }
        }

        var perCall = (GC.GetTotalAllocatedBytes(precise: true) - before) / (double)MeasuredCalls;
        output.WriteLine($"{perCall:F0} B per call, caller and callee together");
        Assert.True(perCall <= AllowedBytesPerCall, $"a small call allocated {perCall:F0} B, more than the {AllowedBytesPerCall} B measured when this test was written (plus a margin)");
    }

    private sealed class Echo : IEcho
    {
        public Task<Reply> EchoAsync(int id, string text) => Task.FromResult(new Reply(id, text));
    }
}
