using System.Runtime.InteropServices;

namespace Tether.Bench.Idle;

/// <summary>Raises RLIMIT_NOFILE (Linux) so one process can hold tens of thousands of sockets; children inherit it.</summary>
internal static partial class FileDescriptorLimit
{
    private const int RlimitNofile = 7;

    /// <summary>Makes the soft limit at least <paramref name="wanted"/>, raising the hard limit too when allowed (root).</summary>
    /// <returns>The soft limit in force afterwards (null off Linux).</returns>
    public static ulong? EnsureAtLeast(ulong wanted)
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        if (GetRLimit(RlimitNofile, out var limit) != 0)
        {
            return null;
        }

        if (limit.Current >= wanted)
        {
            return limit.Current;
        }

        var raised = new RLimit { Current = wanted, Maximum = Math.Max(limit.Maximum, wanted) };
        if (SetRLimit(RlimitNofile, raised) == 0)
        {
            return wanted;
        }

        // Not allowed to raise the hard limit: take as much as it permits.
        var capped = new RLimit { Current = limit.Maximum, Maximum = limit.Maximum };
        return SetRLimit(RlimitNofile, capped) == 0 ? limit.Maximum : limit.Current;
    }

    [LibraryImport("libc", EntryPoint = "getrlimit", SetLastError = true)]
    private static partial int GetRLimit(int resource, out RLimit limit);

    [LibraryImport("libc", EntryPoint = "setrlimit", SetLastError = true)]
    private static partial int SetRLimit(int resource, in RLimit limit);

    [StructLayout(LayoutKind.Sequential)]
    private struct RLimit
    {
        public ulong Current;
        public ulong Maximum;
    }
}
