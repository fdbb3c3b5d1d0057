namespace Tether.Cli;

/// <summary>Process exit codes shared by all commands.</summary>
internal static class ExitCodes
{
    /// <summary>The command did what was asked (for <c>peer connect</c>: delivered and closed normally).</summary>
    public const int Success = 0;

    /// <summary>An unexpected failure or one of the environment (e.g. the address to listen on is in use).</summary>
    public const int Error = 1;

    /// <summary>Bad arguments; a message on stderr says which.</summary>
    public const int Usage = 2;

    /// <summary>The connection could not be made or was lost, or a transfer was not confirmed intact.</summary>
    public const int ConnectionLost = 3;

    /// <summary>Interrupted (SIGINT/SIGTERM) before the work completed; 128 + SIGINT, as shells report it.</summary>
    public const int Interrupted = 130;
}
