using Tether.Hosting;

namespace Tether.Tests.Remoting;

public sealed class ReconnectOptionsTests
{
    [Fact]
    public void BackoffGrowsToTheCapWithJitterBelowTheNominalDelay()
    {
        var options = new ReconnectOptions { InitialDelay = TimeSpan.FromSeconds(1), MaxDelay = TimeSpan.FromSeconds(60), Multiplier = 2, Jitter = 0.5 };
        var random = new Random(7);
        for (var attempt = 0; attempt < 12; attempt++)
        {
            var nominal = Math.Min(60, Math.Pow(2, attempt));
            var delay = options.DelayBefore(attempt, random).TotalSeconds;
            Assert.InRange(delay, nominal * 0.5, nominal);
        }

        var noJitter = new ReconnectOptions { Jitter = 0 };
        Assert.Equal(TimeSpan.FromSeconds(4), noJitter.DelayBefore(2, random));
        Assert.Equal(TimeSpan.FromSeconds(60), noJitter.DelayBefore(1000, random));
    }
}
