namespace Tether.Cli.Peer;

/// <summary>A set of fire-and-forget tasks that can be awaited together later (connections, transfers).</summary>
internal sealed class BackgroundTasks
{
    private readonly Lock _gate = new();
    private readonly List<Task> _tasks = [];

    /// <summary>Adds a task; finished ones are dropped as new ones come.</summary>
    /// <param name="task">A task that handles its own exceptions.</param>
    public void Add(Task task)
    {
        lock (_gate)
        {
            _tasks.RemoveAll(static t => t.IsCompleted);
            _tasks.Add(task);
        }
    }

    /// <summary>Waits for every task added so far.</summary>
    /// <returns>A task that completes when they have.</returns>
    public Task WhenAll()
    {
        lock (_gate)
        {
            return Task.WhenAll(_tasks);
        }
    }
}
