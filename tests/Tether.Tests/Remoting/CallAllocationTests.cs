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
/// <para>
/// The values themselves are 240 B: the string argument and the result's string (2 x 88 B) and the result record on
/// each side (2 x 32 B). A value-task method allocates nothing else: its call object is reused, its arguments and the
/// record's members travel as bits, not boxes. A task-returning method adds the caller's <see cref="Task{TResult}"/>
/// and its <see cref="TaskCompletionSource{TResult}"/> (64 + 40 B) and, in this test's callee, <c>Task.FromResult</c>
/// (64 B). Measured on 2026-11-27 (.NET 10): 240-246 B and 409-413 B, and 1 B for a value-task call without a result;
/// before this work a task-returning call allocated 537-541 B. Allocation sampling attributes nothing else.
/// </para>
/// <para>The margin is below the smallest object (24 B), so any new per-call allocation fails the test.</para>
/// </remarks>
[Collection(nameof(AllocationSensitive))]
public sealed class CallAllocationTests(ITestOutputHelper output)
{
    private const int WarmUpCalls = 2_000;
    private const int MeasuredCalls = 50_000;
    private const int ValuesBytes = 2 * 88 + 2 * 32;
    private const int TaskBytes = 64;
    private const int TaskSourceBytes = 40;
    private const double Margin = 20;
    private static readonly string Text = new('x', 32);

    public interface IEcho : IReferenceable
    {
        Task<Reply> EchoAsync(int id, string text);
    }

    public interface IValueEcho : IReferenceable
    {
        ValueTask<Reply> EchoAsync(int id, string text);

        ValueTask NoteAsync(int id);
    }

    public sealed record Reply(int Id, string Text);

    [Fact]
    public async Task A_steady_state_small_call_allocates_its_values_and_its_tasks()
    {
        var proxy = await ConnectAsync<IEcho>(new Echo());
        var perCall = await EchoBytesPerCallAsync(i => new ValueTask<Reply>(proxy.EchoAsync(i, Text)));
        Assert.True(perCall <= ValuesBytes + (2 * TaskBytes) + TaskSourceBytes + Margin, $"a small call allocated {perCall:F0} B");
    }

    [Fact]
    public async Task A_value_task_call_allocates_only_its_values()
    {
        var proxy = await ConnectAsync<IValueEcho>(new ValueEcho());
        var perCall = await EchoBytesPerCallAsync(i => proxy.EchoAsync(i, Text));
        Assert.True(perCall <= ValuesBytes + Margin, $"a small value-task call allocated {perCall:F0} B");
    }

    [Fact]
    public async Task A_value_task_call_without_a_result_allocates_nothing()
    {
        var proxy = await ConnectAsync<IValueEcho>(new ValueEcho());
        long before = 0;
        for (var i = -WarmUpCalls; i < MeasuredCalls; i++)
        {
            before = i == 0 ? GC.GetTotalAllocatedBytes(precise: true) : before;
            await proxy.NoteAsync(i);
        }

        var perCall = PerCall(before);
        Assert.True(perCall <= Margin, $"a value-task call without arguments or result to allocate allocated {perCall:F0} B");
    }

    /// <summary>
    /// Bytes allocated per echo call after the warm-up. <paramref name="echo"/> is not async (an async lambda would add
    /// its own state machine per call); each answer is checked against its call.
    /// </summary>
    private async Task<double> EchoBytesPerCallAsync(Func<int, ValueTask<Reply>> echo)
    {
        long before = 0;
        for (var i = -WarmUpCalls; i < MeasuredCalls; i++)
        {
            before = i == 0 ? GC.GetTotalAllocatedBytes(precise: true) : before;
            if ((await echo(i)).Id != i)
            {
                Assert.Fail($"call {i} got another call's answer");
            }
        }

        return PerCall(before);
    }

    private static async Task<T> ConnectAsync<T>(IReferenceable root)
        where T : class
    {
        var pair = await ConnectionPair.CreateAsync(); // left to the GC with the test: disposing it would allocate mid-measurement
        pair.ConnectorTransport.RecordSends = false;
        pair.ListenerTransport.RecordSends = false;
        var options = new RemotingOptions();
        options.Types.AddCopyable<Reply>(nameof(Reply));
        TetherSession.Start(pair.Listener, options, root: root);
        return TetherSession.Start(pair.Connector, options).Root.As<T>();
    }

    private double PerCall(long allocatedBefore)
    {
        var perCall = (GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore) / (double)MeasuredCalls;
        output.WriteLine($"{perCall:F0} B per call, caller and callee together");
        return perCall;
    }

    private sealed class Echo : IEcho
    {
        public Task<Reply> EchoAsync(int id, string text) => Task.FromResult(new Reply(id, text));
    }

    private sealed class ValueEcho : IValueEcho
    {
        public ValueTask<Reply> EchoAsync(int id, string text) => ValueTask.FromResult(new Reply(id, text));

        public ValueTask NoteAsync(int id) => ValueTask.CompletedTask;
    }
}
