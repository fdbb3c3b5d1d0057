using Tether.Remoting;

namespace BuildFarm;

/// <summary>What a logged-in worker may ask of the master: its perspective.</summary>
public interface IMasterPerspective : IReferenceable
{
    /// <summary>The worker offers its builder; the master keeps it and sends it work.</summary>
    Task RegisterAsync(IBuilder builder, int cores);

    /// <summary>One piece of an artifact being uploaded (pieces arrive in order).</summary>
    Task UploadPieceAsync(string artifact, long offset, byte[] data);

    /// <summary>The artifact is complete; the master checks its length and hash.</summary>
    Task<bool> FinishUploadAsync(string artifact, long length, string sha256);
}

/// <summary>The worker's object the master calls: run a command, sending output lines to a log on the master.</summary>
public interface IBuilder : IReferenceable
{
    /// <summary>Runs <paramref name="command"/>; each output line goes to <paramref name="log"/>; returns the exit code.</summary>
    Task<int> RunAsync(string command, IBuildLog log, CancellationToken cancellationToken);
}

/// <summary>The master's callback object for one build's output.</summary>
public interface IBuildLog : IReferenceable
{
    /// <summary>One line of output.</summary>
    Task LineAsync(string line);
}
