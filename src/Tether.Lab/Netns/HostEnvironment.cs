using System.Runtime.InteropServices;

namespace Tether.Lab.Netns;

/// <summary>What this host offers the lab: root on Linux, and where helper commands (ip, tc, nft) live.</summary>
public static class HostEnvironment
{
    /// <summary>True when running on Linux with an effective user id of 0.</summary>
    public static bool IsLinuxRoot
    {
        get
        {
            if (!OperatingSystem.IsLinux())
            {
                return false;
            }

            try
            {
                return NativeMethods.geteuid() == 0;
            }
            catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
            {
                return string.Equals(Environment.UserName, "root", StringComparison.Ordinal);
            }
        }
    }

    /// <summary>Full path of <paramref name="name"/> found on PATH, or null.</summary>
    /// <param name="name">A command name, or a path.</param>
    /// <returns>The executable's path, or null.</returns>
    public static string? FindCommand(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (name.Contains('/', StringComparison.Ordinal))
        {
            return IsExecutableFile(name) ? name : null;
        }

        var path = Environment.GetEnvironmentVariable("PATH");
        var directories = string.IsNullOrEmpty(path)
            ? ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"]
            : path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);

        // ip, tc and nft live in sbin, which a non-login PATH may lack; look there as well.
        foreach (var directory in directories.Concat(["/usr/sbin", "/sbin"]))
        {
            var candidate = Path.Combine(directory, name);
            if (IsExecutableFile(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    private static bool IsExecutableFile(string candidate)
    {
        if (!File.Exists(candidate))
        {
            return false;
        }

        if (OperatingSystem.IsWindows())
        {
            return true;
        }

        const UnixFileMode anyExecute = UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
        return (File.GetUnixFileMode(candidate) & anyExecute) != 0;
    }

    private static class NativeMethods
    {
        [DllImport("libc", SetLastError = false)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        internal static extern uint geteuid();
    }
}
