using Microsoft.Extensions.Time.Testing;
using Tether.Framing;
using Tether.Liveness;

namespace Tether.Tests.Infrastructure;

/// <summary>Two connected <see cref="TetherConnection"/>s over in-memory transports, on one fake clock.</summary>
internal sealed class ConnectionPair : IAsyncDisposable
{
    private ConnectionPair(FakeTimeProvider time, LivenessHeartbeat heartbeat, InMemoryTransport connectorTransport, InMemoryTransport listenerTransport, TetherConnection connector, TetherConnection listener)
    {
        Time = time;
        Heartbeat = heartbeat;
        ConnectorTransport = connectorTransport;
        ListenerTransport = listenerTransport;
        Connector = connector;
        Listener = listener;
    }

    public FakeTimeProvider Time { get; }

    public LivenessHeartbeat Heartbeat { get; }

    public InMemoryTransport ConnectorTransport { get; }

    public InMemoryTransport ListenerTransport { get; }

    public TetherConnection Connector { get; }

    public TetherConnection Listener { get; }

    public static TetherConnectionOptions Options(LivenessHeartbeat heartbeat, Action<TetherConnectionOptions>? configure = null)
    {
        var options = new TetherConnectionOptions
        {
            KeepaliveInterval = TimeSpan.FromSeconds(1),
            DeadTimeout = TimeSpan.FromSeconds(10),
            Heartbeat = heartbeat,
        };
        configure?.Invoke(options);
        return options;
    }

    public static async Task<ConnectionPair> CreateAsync(Action<TetherConnectionOptions>? configure = null)
    {
        var time = new FakeTimeProvider();
        var heartbeat = new LivenessHeartbeat(TimeSpan.FromMilliseconds(250), time, autoStart: false);
        var (a, b) = InMemoryTransport.CreatePair();
        var connecting = TetherConnection.EstablishAsync(a, ConnectionRole.Connector, Options(heartbeat, configure));
        var listening = TetherConnection.EstablishAsync(b, ConnectionRole.Listener, Options(heartbeat, configure));
        await Task.WhenAll(connecting, listening).WaitAsync(TimeSpan.FromSeconds(10));
        return new ConnectionPair(time, heartbeat, a, b, await connecting, await listening);
    }

    /// <summary>Advances the fake clock one tick at a time, running the heartbeat at each tick.</summary>
    public void AdvanceTicks(int ticks)
    {
        for (var i = 0; i < ticks; i++)
        {
            Time.Advance(Heartbeat.Interval);
            Heartbeat.Tick();
        }
    }

    public async ValueTask DisposeAsync()
    {
        Connector.Abort();
        Listener.Abort();
        await Connector.DisposeAsync();
        await Listener.DisposeAsync();
        Heartbeat.Dispose();
    }
}
