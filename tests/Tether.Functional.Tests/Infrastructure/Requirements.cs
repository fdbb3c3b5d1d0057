namespace Tether.Functional.Tests.Infrastructure;

/// <summary>
/// Environment gates for functional tests. Outside CI a missing prerequisite skips the test
/// (the test must be a <c>[SkippableFact]</c>); with <c>CI=true</c> it fails loudly, because CI
/// is supposed to provide the environment and a silent skip would hide that it did not.
/// </summary>
public static class Requirements
{
    /// <summary>True when the environment variable CI equals "true" (case-insensitive).</summary>
    public static bool IsCi =>
        string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>True when running on Linux with an effective user id of 0.</summary>
    public static bool IsLinuxRoot => HostEnvironment.IsLinuxRoot;

    /// <summary>
    /// Requires Linux, root and the <c>ip</c> command. <paramref name="what"/> describes what
    /// needs it (it ends up in the skip or failure message).
    /// </summary>
    public static void RequireLinuxRoot(string what)
    {
        RequireLinux(what);
        if (!IsLinuxRoot)
        {
            Unavailable(what, "it needs to run as root (network namespaces, tc, nftables)");
        }

        if (FindCommand("ip") is null)
        {
            Unavailable(what, "the 'ip' command (iproute2) is not on PATH");
        }
    }

    /// <summary>Requires Linux (signals such as SIGSTOP through <c>kill</c>); <paramref name="what"/> says what needs it.</summary>
    public static void RequireLinux(string what)
    {
        if (!OperatingSystem.IsLinux())
        {
            Unavailable(what, "it needs Linux");
        }
    }

    /// <summary>Requires an executable named <paramref name="name"/> on PATH.</summary>
    public static void RequireCommand(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (FindCommand(name) is null)
        {
            Unavailable($"a test using '{name}'", $"the '{name}' command is not on PATH");
        }
    }

    /// <summary>Everything <see cref="NetnsLab"/> needs: Linux, root, ip, tc and nft.</summary>
    public static void RequireNetnsLab(string what)
    {
        RequireLinuxRoot(what);
        RequireCommand("tc");
        RequireCommand("nft");
    }

    /// <summary>
    /// Requires <paramref name="available"/>: skips locally, fails under CI, with <paramref name="reason"/>
    /// describing what is missing for <paramref name="what"/>.
    /// </summary>
    public static void Require(bool available, string what, string reason)
    {
        if (!available)
        {
            Unavailable(what, reason);
        }
    }

    /// <summary>Full path of <paramref name="name"/> found on PATH, or null.</summary>
    public static string? FindCommand(string name) => HostEnvironment.FindCommand(name);

    private static void Unavailable(string what, string reason)
    {
        var message = $"Functional test environment could not be set up for {what}: {reason}.";
        if (IsCi)
        {
            throw new InvalidOperationException(message + " CI=true, so this is a failure rather than a skip.");
        }

        Skip.If(true, message);
    }
}
