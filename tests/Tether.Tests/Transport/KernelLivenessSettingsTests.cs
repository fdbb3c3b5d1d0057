using Tether.Transport;

namespace Tether.Tests.Transport;

public sealed class KernelLivenessSettingsTests
{
    [Fact]
    public void Keepalive_probes_start_at_the_dead_timeout_and_give_up_after_three_a_third_apart()
    {
        var settings = KernelLivenessSettings.FromDeadTimeout(TimeSpan.FromSeconds(10));
        Assert.Equal(TimeSpan.FromSeconds(10), settings.KeepaliveIdle);
        Assert.Equal(TimeSpan.FromSeconds(4), settings.KeepaliveInterval); // 10 / 3 rounded up to whole seconds
        Assert.Equal(3, settings.KeepaliveCount);
    }

    [Theory]
    [InlineData(2, 300)] // a short dead timeout does not shorten the kernel's patience with a slow, lossy link
    [InlineData(10, 300)]
    [InlineData(150, 300)]
    [InlineData(400, 800)] // beyond the floor: twice the dead timeout
    public void The_user_timeout_is_twice_the_dead_timeout_but_never_under_five_minutes(int deadTimeoutSeconds, int expectedSeconds)
    {
        var settings = KernelLivenessSettings.FromDeadTimeout(TimeSpan.FromSeconds(deadTimeoutSeconds));
        Assert.Equal(TimeSpan.FromSeconds(expectedSeconds), settings.UserTimeout);
    }
}
