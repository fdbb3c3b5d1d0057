using Microsoft.Extensions.Logging;
using Nerdbank.MessagePack;
using Tether.Internal;
using Tether.Protocol;

namespace Tether.Remoting;

/// <summary>
/// Cacheables both ways. Owner side: one observer per cacheable per connection, stopped exactly once (release or loss).
/// Replica side: one replica per cache id; updates run in the order they arrived.
/// </summary>
internal sealed partial class NativeSession
{
    private readonly Dictionary<uint, CacheObserver> _observersById = [];
    private readonly Dictionary<Cacheable, CacheObserver> _observersByCacheable = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<uint, RemoteCache> _replicas = [];
    private readonly List<CacheObserver> _messageObservers = [];
    private readonly List<RemoteCache> _messageReplicas = []; // only touched by the receive loop
    private uint _lastCacheId;

    object IReferenceCodec.ReadNewCache(ref MessagePackReader reader, ValueReader values)
    {
        var cacheId = reader.ReadUInt32();
        var name = reader.ReadString() ?? string.Empty;
        if (!_options.Types.TryGetReplica(name, out var shape))
        {
            RefuseReplica(cacheId);
            throw new TetherSerializationException($"The cacheable '{name}' has no replica class registered here (TypeRegistry.AddRemoteCache); it was refused.");
        }

        var replica = shape.Create();
        try
        {
            replica.Attach(this, cacheId, values.Read(ref reader, replica.StateType));
        }
        catch (Exception e) when (e is not TetherSerializationException)
        {
            RefuseReplica(cacheId);
            throw new TetherSerializationException($"The replica '{name}' could not be initialized: {e.Message}", e);
        }
        catch
        {
            RefuseReplica(cacheId);
            throw;
        }

        lock (_gate)
        {
            if (!_replicas.TryAdd(cacheId, replica))
            {
                throw new TetherSerializationException($"The peer sent cache #{cacheId} as new, but a replica of it is already held.");
            }

            RemotingCounters.Replicas.Add(1);
        }

        _messageReplicas.Add(replica);
        return replica;
    }

    internal override Task SendCacheUpdateAsync(CacheObserver observer, string method, object?[] arguments)
    {
        try
        {
            SendMessage((observer.CacheId, method, arguments), static (ref MessagePackWriter writer, ValueWriter values, (uint CacheId, string Method, object?[] Arguments) update) =>
            {
                writer.WriteArrayHeader(4);
                writer.Write((byte)MessageKind.CacheUpdate);
                writer.Write(update.CacheId);
                writer.Write(update.Method);
                values.WriteArray(ref writer, update.Arguments);
            });
            return Task.CompletedTask;
        }
        catch (Exception e)
        {
            return Task.FromException(e);
        }
    }

    internal override void ReleaseReplica(RemoteCache replica)
    {
        lock (_gate)
        {
            if (!_replicas.Remove(replica.CacheId))
            {
                return;
            }

            RemotingCounters.Replicas.Add(-1);
        }

        RefuseReplica(replica.CacheId);
    }

    /// <summary>A received message could not be read to the end: nobody will ever see the replicas it made.</summary>
    private void ReleaseMessageReplicas()
    {
        foreach (var replica in _messageReplicas)
        {
            replica.Dispose();
        }

        _messageReplicas.Clear();
    }

    private void WriteCache(ref MessagePackWriter writer, Cacheable cacheable, ValueWriter values)
    {
        CacheObserver? observer;
        lock (_gate)
        {
            if (_observersByCacheable.TryGetValue(cacheable, out observer))
            {
                ValueWriter.WriteId(ref writer, ValueTag.Cached, observer.CacheId);
                return;
            }

            observer = new CacheObserver(this, NextFreeId(ref _lastCacheId, _observersById), cacheable);
            _observersById.Add(observer.CacheId, observer);
            _observersByCacheable.Add(cacheable, observer);
            RemotingCounters.Observers.Add(1);
        }

        _messageObservers.Add(observer);
        var state = cacheable.GetStateToCacheAndObserve(this, observer);
        writer.WriteArrayHeader(4);
        writer.Write(new ExtensionHeader(ValueTag.NewCache, 0));
        writer.Write(observer.CacheId);
        writer.Write(cacheable.CacheName);
        values.Write(ref writer, state);
    }

    private RemoteCache ResolveReplica(uint cacheId)
    {
        lock (_gate)
        {
            return _replicas.TryGetValue(cacheId, out var replica)
                ? replica
                : throw new TetherSerializationException($"The peer named cache #{cacheId}, which this side does not hold (released meanwhile?).");
        }
    }

    private void HandleCacheUpdate(ref MessagePackReader reader)
    {
        var cacheId = reader.ReadUInt32();
        var name = Utf8Names.Read(ref reader);
        RemoteCache? replica;
        lock (_gate)
        {
            _replicas.TryGetValue(cacheId, out replica);
        }

        if (replica is null)
        {
            return; // released here while the update was on its way
        }

        // The update runs later, from the replica's queue: its arguments live in the closure, off the stack.
        var arguments = default(ArgumentSlots);
        if (!TryReadArguments(ref reader, MethodTable.ForReplica(replica.GetType()), name, ref arguments, out var method, out var refusal))
        {
            LogUpdateRefused(Logger, cacheId, refusal.Message);
            return;
        }

        replica.Enqueue(
            () => method.InvokeAsync(replica, ref arguments, this, CancellationToken.None).AsTask(),
            error => LogUpdateFailed(Logger, cacheId, method.WireName, error));
    }

    private void HandleUncache(uint cacheId)
    {
        CacheObserver? observer;
        lock (_gate)
        {
            _observersById.TryGetValue(cacheId, out observer);
        }

        if (observer is not null)
        {
            StopObserving(observer);
        }
    }

    /// <summary>Removes the observer and runs StoppedObserving, once, whoever calls first.</summary>
    private void StopObserving(CacheObserver observer)
    {
        lock (_gate)
        {
            if (_observersById.Remove(observer.CacheId))
            {
                _observersByCacheable.Remove(observer.Cacheable);
                RemotingCounters.Observers.Add(-1);
            }
        }

        if (!observer.TryStop())
        {
            return;
        }

        try
        {
            observer.Cacheable.StoppedObserving(this, observer);
        }
        catch (Exception e)
        {
            LogStoppedObservingFailed(Logger, observer.Cacheable.CacheName, e);
        }
    }

    /// <summary>Tells the owner this side holds no replica of <paramref name="cacheId"/> (released, or refused on arrival).</summary>
    private void RefuseReplica(uint cacheId) =>
        Post(cacheId, static (ref MessagePackWriter writer, ValueWriter _, uint id) =>
        {
            writer.WriteArrayHeader(2);
            writer.Write((byte)MessageKind.Uncache);
            writer.Write(id);
        });

    [LoggerMessage(Level = LogLevel.Warning, Message = "Update to cache #{CacheId} refused: {Reason}")]
    private static partial void LogUpdateRefused(ILogger logger, uint cacheId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Update {Method} to cache #{CacheId} threw")]
    private static partial void LogUpdateFailed(ILogger logger, uint cacheId, string method, Exception error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "StoppedObserving of {Cache} threw")]
    private static partial void LogStoppedObservingFailed(ILogger logger, string cache, Exception error);
}
