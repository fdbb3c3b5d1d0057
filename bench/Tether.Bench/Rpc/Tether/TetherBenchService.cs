namespace Tether.Bench.Rpc.Tether;

/// <summary>The server's root object.</summary>
internal sealed class TetherBenchService : IBenchService
{
    public Task<SmallMessage> EchoAsync(int id, string text) => Task.FromResult(new SmallMessage(id, text));

    public Task<int> UploadAsync(byte[] data) => Task.FromResult(data.Length);

    public async Task<long> TicksAsync(ITickSink sink, int milliseconds)
    {
        // Keep a window of unanswered callbacks: each is a call with an answer, so waiting for each in turn would
        // measure round trips, not messages per second.
        var window = new Task[BenchData.CallbackWindow];
        var deadline = Environment.TickCount64 + milliseconds;
        long sent = 0;
        while (Environment.TickCount64 < deadline)
        {
            var slot = (int)(sent % window.Length);
            if (window[slot] is { } previous)
            {
                await previous;
            }

            window[slot] = sink.TickAsync((int)sent, BenchData.SmallText);
            sent++;
        }

        await Task.WhenAll(window.Where(t => t is not null));
        return sent;
    }
}
