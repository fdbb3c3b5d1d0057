using Tether.Remoting;
using Tether.Tests.Infrastructure;

namespace Tether.Tests.Remoting;

/// <summary>
/// The caller's call objects are reused from call to call: each call still completes exactly once, with its own
/// answer, its cancellation or the connection's loss, whether the caller awaits a task or a value task.
/// </summary>
public sealed class PendingCallTests : IAsyncLifetime
{
    private readonly Service _service = new();
    private ConnectionPair _pair = null!;
    private TetherSession _caller = null!;
    private IService _proxy = null!;

    public interface IService : IReferenceable
    {
        ValueTask<int> EchoAsync(int value);

        Task<int> EchoTaskAsync(int value);

        ValueTask<int> HangAsync(int value, CancellationToken token);

        Task<int> HangTaskAsync(int value, CancellationToken token);
    }

    public async Task InitializeAsync()
    {
        _pair = await ConnectionPair.CreateAsync();
        TetherSession.Start(_pair.Listener, new RemotingOptions(), root: _service);
        _caller = TetherSession.Start(_pair.Connector, new RemotingOptions());
        _proxy = _caller.Root.As<IService>();
    }

    public async Task DisposeAsync() => await _pair.DisposeAsync();

    [Fact]
    public async Task Concurrent_value_task_and_task_calls_each_get_their_own_answer()
    {
        for (var round = 0; round < 5; round++)
        {
            var values = Enumerable.Range(round * 1000, 500).ToArray();
            var viaValueTasks = values.Select(v => _proxy.EchoAsync(v).AsTask());
            var viaTasks = values.Select(v => _proxy.EchoTaskAsync(v));
            var answers = await Task.WhenAll(viaValueTasks.Concat(viaTasks)).WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(values.Concat(values), answers);
        }

        Assert.Equal(0, _caller.GetStatistics().OutstandingCalls);
    }

    [Fact]
    public async Task A_cancelled_call_ends_cancelled_and_the_next_calls_are_not_disturbed()
    {
        for (var i = 0; i < 50; i++)
        {
            using var cancel = new CancellationTokenSource();
            var hanging = _proxy.HangAsync(i, cancel.Token);
            var hangingTask = _proxy.HangTaskAsync(i, cancel.Token);
            await cancel.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await hanging);
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => hangingTask);

            // Tokens cancelled after their call was answered must not reach the reused call objects.
            using var late = new CancellationTokenSource();
            Assert.Equal(-1 - i, await _proxy.HangAsync(-1 - i, late.Token));
            await late.CancelAsync();
            Assert.Equal(i, await _proxy.EchoAsync(i));
            Assert.Equal(i, await _proxy.EchoTaskAsync(i));
        }

        await Eventually.TrueAsync(() => _caller.GetStatistics().OutstandingCalls == 0, "no call left waiting");
    }

    [Fact]
    public async Task Calls_outstanding_when_the_connection_is_lost_fail_once_with_the_loss()
    {
        var hanging = Enumerable.Range(0, 20).Select(i => _proxy.HangAsync(i, CancellationToken.None).AsTask())
            .Concat(Enumerable.Range(0, 20).Select(i => _proxy.HangTaskAsync(i, CancellationToken.None)))
            .ToArray();
        await Eventually.TrueAsync(() => _service.Hanging == 40, "all 40 calls to reach the callee");

        _pair.Listener.Abort();
        foreach (var call in hanging)
        {
            await Assert.ThrowsAsync<ConnectionLostException>(() => call.WaitAsync(TimeSpan.FromSeconds(10)));
        }

        Assert.Equal(0, _caller.GetStatistics().OutstandingCalls);
        await Assert.ThrowsAsync<ConnectionLostException>(async () => await _proxy.EchoAsync(1));
    }

    private sealed class Service : IService
    {
        private int _hanging;

        public int Hanging => Volatile.Read(ref _hanging);

        public async ValueTask<int> EchoAsync(int value)
        {
            await Task.Yield();
            return value;
        }

        public Task<int> EchoTaskAsync(int value) => Task.FromResult(value);

        public async ValueTask<int> HangAsync(int value, CancellationToken token) => await HangTaskAsync(value, token);

        public async Task<int> HangTaskAsync(int value, CancellationToken token)
        {
            if (value < 0)
            {
                return value; // answered at once
            }

            Interlocked.Increment(ref _hanging);
            await Task.Delay(Timeout.Infinite, token);
            return value;
        }
    }
}
