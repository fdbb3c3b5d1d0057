using Tether.Framing;

namespace Tether.Tests.Framing;

public sealed class WriteBudgetTests
{
    private const int Chunk = 32 * 1024;

    [Fact]
    public void A_fresh_connection_writes_whole_chunks()
    {
        var budget = default(WriteBudget);
        Assert.Equal(Chunk, budget.Next(Chunk));
    }

    [Fact]
    public void A_dial_up_link_gets_batches_that_drain_in_about_100_ms()
    {
        var budget = default(WriteBudget);

        // 56 kbit/s = 7000 B/s: a 2 KiB write waits ~0.29 s for the kernel.
        for (var i = 0; i < 20; i++)
        {
            budget.Observe(2048, TimeSpan.FromSeconds(2048 / 7000.0));
        }

        Assert.Equal(WriteBudget.Minimum, budget.Next(Chunk));

        // 1 Mbit/s = 125 kB/s: ~12.5 kB per 100 ms.
        for (var i = 0; i < 40; i++)
        {
            budget.Observe(12_500, TimeSpan.FromSeconds(0.1));
        }

        Assert.InRange(budget.Next(Chunk), 12_000, 13_000);
    }

    [Fact]
    public void Writes_that_complete_at_once_restore_whole_chunks_quickly()
    {
        var budget = default(WriteBudget);
        budget.Observe(2048, TimeSpan.FromSeconds(1));
        Assert.Equal(WriteBudget.Minimum, budget.Next(Chunk));
        for (var i = 0; i < 8; i++)
        {
            budget.Observe(WriteBudget.Minimum, TimeSpan.Zero);
        }

        Assert.Equal(Chunk, budget.Next(Chunk));
    }
}
