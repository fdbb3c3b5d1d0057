using System.Globalization;

namespace Tether.Bench.Reporting;

/// <summary>Number formatting shared by the result tables (invariant culture, fixed decimals).</summary>
internal static class Units
{
    public static string Fixed(double value, int decimals = 2) => value.ToString("F" + decimals, CultureInfo.InvariantCulture);

    public static string Count(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    public static string Bytes(double bytes) => Math.Abs(bytes) switch
    {
        >= 1024 * 1024 * 1024 => $"{Fixed(bytes / (1024 * 1024 * 1024))} GiB",
        >= 1024 * 1024 => $"{Fixed(bytes / (1024 * 1024))} MiB",
        >= 10 * 1024 => $"{Fixed(bytes / 1024, 1)} KiB",
        _ => $"{Fixed(bytes, 0)} B",
    };
}
