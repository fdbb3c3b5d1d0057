using Tether.Framing;
using Tether.Hosting;

namespace Tether.Bench.Idle;

/// <summary>Accepts from a set of listeners in the background and keeps what arrives.</summary>
internal sealed class AcceptedConnections : IAsyncDisposable
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(20);

    private readonly IReadOnlyList<TetherListener> _listeners;
    private readonly List<TetherConnection> _connections = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task[] _loops;

    public AcceptedConnections(IReadOnlyList<TetherListener> listeners)
    {
        _listeners = listeners;
        _loops = [.. listeners.Select(l => Task.Run(() => AcceptLoopAsync(l)))];
    }

    public int Count
    {
        get
        {
            lock (_connections)
            {
                return _connections.Count;
            }
        }
    }

    /// <summary>How many accepted connections are still open.</summary>
    public int CountOpen()
    {
        lock (_connections)
        {
            return IdleConnections.CountOpen(_connections);
        }
    }

    /// <summary>Waits until at least <paramref name="count"/> connections were accepted.</summary>
    /// <exception cref="TimeoutException">They did not all arrive in time.</exception>
    public async Task WaitForAsync(int count, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (Count < count)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Accepted {Count} of {count} connections within {timeout.TotalSeconds:0} s.");
            }

            await Task.Delay(PollInterval);
        }
    }

    /// <summary>Hands over everything accepted so far; later connections start a new list.</summary>
    public List<TetherConnection> TakeAll()
    {
        lock (_connections)
        {
            var taken = new List<TetherConnection>(_connections);
            _connections.Clear();
            return taken;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        foreach (var listener in _listeners)
        {
            await listener.DisposeAsync();
        }

        await Task.WhenAll(_loops);
        await IdleConnections.AbortAllAsync(TakeAll());
        _stop.Dispose();
    }

    private async Task AcceptLoopAsync(TetherListener listener)
    {
        try
        {
            while (true)
            {
                var connection = await listener.AcceptAsync(_stop.Token);
                lock (_connections)
                {
                    _connections.Add(connection);
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or System.Threading.Channels.ChannelClosedException)
        {
            // Stopped.
        }
    }
}
