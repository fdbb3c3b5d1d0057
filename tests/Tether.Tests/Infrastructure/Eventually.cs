namespace Tether.Tests.Infrastructure;

/// <summary>
/// Waits for a condition that another thread makes true (the connection's loops run on the thread pool). The timeout
/// is a generous safety net against hangs, not a timing claim.
/// </summary>
internal static class Eventually
{
    public static async Task TrueAsync(Func<bool> condition, string what, int timeoutMs = 10_000)
    {
        var deadline = Environment.TickCount64 + timeoutMs;
        while (!condition())
        {
            if (Environment.TickCount64 > deadline)
            {
                throw new TimeoutException($"Timed out waiting for: {what}");
            }

            await Task.Delay(5);
        }
    }

    public static async Task<T> CompletesAsync<T>(Task<T> task, string what, int timeoutMs = 10_000)
    {
        try
        {
            return await task.WaitAsync(TimeSpan.FromMilliseconds(timeoutMs));
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"Timed out waiting for: {what}");
        }
    }
}
