namespace Tether.Bench.Rpc;

/// <summary>
/// Counts one-way server-to-client messages (StreamJsonRpc notifications, SignalR client methods). They are
/// dispatched on their own, so the answer to the call that sent them can overtake the last few.
/// </summary>
internal sealed class NotificationCounter
{
    private static readonly TimeSpan CountTimeout = TimeSpan.FromSeconds(10);
    private long _count;

    /// <summary>One message arrived.</summary>
    public void OnMessage(int id, string text) => Interlocked.Increment(ref _count);

    /// <summary>Runs <paramref name="send"/> (which returns how many the server sent) and waits for them to arrive.</summary>
    /// <returns>How many arrived (fewer only if some had not within 10 s).</returns>
    public async Task<long> CountAsync(Func<Task<long>> send)
    {
        var before = Interlocked.Read(ref _count);
        var sent = await send();
        var deadline = Environment.TickCount64 + (long)CountTimeout.TotalMilliseconds;
        while (Interlocked.Read(ref _count) - before < sent && Environment.TickCount64 < deadline)
        {
            await Task.Delay(1);
        }

        return Interlocked.Read(ref _count) - before;
    }
}
