using System.Diagnostics;
using System.Numerics;

namespace Tether.Bench.Rpc;

/// <summary>
/// A thread-safe log-linear histogram of durations in <see cref="Stopwatch"/> ticks: exact below 64 ticks, then 32
/// buckets per power of two (under 3.2 % error), so recording allocates nothing and percentiles need no sorting.
/// </summary>
internal sealed class LatencyHistogram
{
    private const int Linear = 64;
    private const int SubBuckets = 32;
    private readonly long[] _counts = new long[Linear + (64 * SubBuckets)];

    /// <summary>Records one duration.</summary>
    public void Record(long ticks) => Interlocked.Increment(ref _counts[Index(Math.Max(ticks, 0))]);

    /// <summary>The duration at quantile <paramref name="q"/> (0..1) in microseconds; 0 when nothing was recorded.</summary>
    public double PercentileMicroseconds(double q)
    {
        var total = _counts.Sum();
        if (total == 0)
        {
            return 0;
        }

        var rank = (long)Math.Ceiling(q * total);
        long seen = 0;
        for (var i = 0; i < _counts.Length; i++)
        {
            seen += _counts[i];
            if (seen >= Math.Max(rank, 1))
            {
                return LowerBound(i) * 1e6 / Stopwatch.Frequency;
            }
        }

        return LowerBound(_counts.Length - 1) * 1e6 / Stopwatch.Frequency;
    }

    private static int Index(long value)
    {
        if (value < Linear)
        {
            return (int)value;
        }

        // value >> shift falls in [32, 63]; shift >= 1 because value >= 64.
        var shift = 63 - BitOperations.LeadingZeroCount((ulong)value) - 5;
        return Linear + ((shift - 1) * SubBuckets) + (int)((value >> shift) - SubBuckets);
    }

    private static long LowerBound(int index)
    {
        if (index < Linear)
        {
            return index;
        }

        var shift = ((index - Linear) / SubBuckets) + 1;
        return ((long)((index - Linear) % SubBuckets) + SubBuckets) << shift;
    }
}
