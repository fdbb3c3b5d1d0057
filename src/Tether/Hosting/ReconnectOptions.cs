namespace Tether.Hosting;

/// <summary>
/// How a <see cref="TetherClient"/> reconnects: exponential backoff with jitter, so hundreds of workers that lost their
/// master at the same moment do not all knock at the same instants.
/// </summary>
public sealed class ReconnectOptions
{
    /// <summary>Reconnect after a lost connection or a failed attempt (default true).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Delay before the first retry (default 1 s).</summary>
    public TimeSpan InitialDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Longest delay between attempts (default 60 s).</summary>
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Growth of the delay per failed attempt (default 2).</summary>
    public double Multiplier { get; set; } = 2.0;

    /// <summary>Fraction of each delay that is random: the delay is drawn from [(1 − Jitter)·d, d] (default 0.5).</summary>
    public double Jitter { get; set; } = 0.5;

    /// <summary>Checks the values.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range.</exception>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(InitialDelay, TimeSpan.Zero, nameof(InitialDelay));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxDelay, InitialDelay, nameof(MaxDelay));
        ArgumentOutOfRangeException.ThrowIfLessThan(Multiplier, 1.0, nameof(Multiplier));
        ArgumentOutOfRangeException.ThrowIfLessThan(Jitter, 0.0, nameof(Jitter));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(Jitter, 1.0, nameof(Jitter));
    }

    /// <summary>The delay before retry number <paramref name="attempt"/> (0 for the first retry).</summary>
    /// <param name="attempt">How many retries failed before this one.</param>
    /// <param name="random">The jitter source.</param>
    /// <returns>The delay.</returns>
    public TimeSpan DelayBefore(int attempt, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        var full = Math.Min(MaxDelay.TotalSeconds, InitialDelay.TotalSeconds * Math.Pow(Multiplier, Math.Min(attempt, 64)));
        return TimeSpan.FromSeconds(full * (1.0 - (Jitter * random.NextDouble())));
    }
}
