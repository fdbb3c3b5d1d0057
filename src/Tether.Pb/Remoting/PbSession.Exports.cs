using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Tether.Internal;
using Tether.Pb.Jelly;
using Tether.Pb.Protocol;
using Tether.Protocol;
using Tether.Remoting;

namespace Tether.Pb.Remoting;

/// <summary>
/// What the peer reaches here: referenceables (as <see cref="IPbCallable"/>), cacheables (as
/// <see cref="IPbCacheable"/>) and the replicas of the peer's cacheables, each wrapped once per session so PB's
/// identity-based tables count one object as one export.
/// </summary>
internal sealed partial class PbSession
{
    private readonly IReferenceable? _exportedRoot;
    private readonly Dictionary<object, ReferenceableExport> _exports = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<Cacheable, CacheableExport> _cacheables = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<uint, (PbCacheObserver Wire, CacheObserver Observer)> _observers = [];
    private readonly Dictionary<RemoteCache, ReplicaAdapter> _replicas = new(ReferenceEqualityComparer.Instance);
    private int _incomingCalls;

    /// <summary>What a PB value that came back from the peer stands for on this side.</summary>
    internal static object Unwrap(object value) => value switch
    {
        ReferenceableExport export => export.Target,
        CacheableExport export => export.Cacheable,
        ReplicaAdapter adapter => adapter.Replica,
        _ => value,
    };

    internal override Task SendCacheUpdateAsync(CacheObserver observer, string method, object?[] arguments)
    {
        PbCacheObserver wire;
        lock (_gate)
        {
            if (!_observers.TryGetValue(observer.CacheId, out var entry))
            {
                return Task.FromException(new InvalidOperationException("The observer was stopped: its replica was released or the connection lost."));
            }

            wire = entry.Wire;
        }

        return AwaitUpdateAsync(wire.CallRemoteAsync(method, arguments, keywordArguments: null, CancellationToken.None));
    }

    internal override void ReleaseReplica(RemoteCache replica)
    {
        ReplicaAdapter? adapter;
        lock (_gate)
        {
            _replicas.Remove(replica, out adapter);
        }

        if (adapter is not null && _connection is { } connection)
        {
            connection.ReleaseReplica(adapter);
        }
    }

    private async Task AwaitUpdateAsync(Task<object?> update)
    {
        try
        {
            await update.ConfigureAwait(false);
        }
        catch (Exception e) when (Translate(e) is { } translated)
        {
            throw translated;
        }
    }

    /// <summary>The object model's objects as the PB connection knows them; anything else unchanged.</summary>
    private object? MapOutbound(object value)
    {
        lock (_gate)
        {
            return value switch
            {
                RemoteReference reference when reference.Session == this && _imports.TryGetValue(reference.Id, out var peerObject) => peerObject,
                RemoteReference reference when reference.Session == this && reference.Id == 0 => Wire.Root,
                Cacheable cacheable => CacheableExportOf(cacheable),
                RemoteCache replica when _replicas.TryGetValue(replica, out var adapter) => adapter,
                IReferenceable referenceable => ExportOf(referenceable),
                _ => value,
            };
        }
    }

    private ReferenceableExport ExportOf(IReferenceable target)
    {
        lock (_gate)
        {
            ref var export = ref CollectionsMarshal.GetValueRefOrAddDefault(_exports, target, out _);
            return export ??= new ReferenceableExport(this, target);
        }
    }

    private CacheableExport CacheableExportOf(Cacheable cacheable)
    {
        lock (_gate)
        {
            ref var export = ref CollectionsMarshal.GetValueRefOrAddDefault(_cacheables, cacheable, out _);
            return export ??= new CacheableExport(this, cacheable);
        }
    }

    /// <summary>Builds the replica of a cacheable the peer sent, from the replica classes registered in <see cref="TypeRegistry"/>.</summary>
    private ReplicaAdapter CreateReplica(PbNewCache cache)
    {
        if (!_options.Types.TryGetReplica(cache.TypeName, out var shape))
        {
            throw new JellyException($"no replica class is registered for the cacheable '{cache.TypeName}'");
        }

        var replica = shape.Create();
        var adapter = new ReplicaAdapter(this, replica);
        replica.Attach(this, (uint)cache.Id, new PbValueConverter(this).Convert(cache.State, replica.StateType));
        lock (_gate)
        {
            _replicas.Add(replica, adapter);
        }

        return adapter;
    }

    /// <summary>
    /// The PB registry for this session: every copyable and replica class registered with Tether's
    /// <see cref="TypeRegistry"/>, under the same names. A copyable's state is its members by snake_case name, the
    /// Python convention for attributes.
    /// </summary>
    private PbTypeRegistry CopyableRegistry()
    {
        var registry = new PbTypeRegistry();
        foreach (var shape in _options.Types.Copyables)
        {
            registry.RegisterCopyable(shape.Name, shape.Type, state => FromState(shape, state), value => ToState(shape, value));
        }

        foreach (var replica in _options.Types.Replicas)
        {
            registry.RegisterCacheable(replica.Name);
        }

        return registry;
    }

    private static Dictionary<string, object?> ToState(CopyableShape shape, object value) =>
        shape.Members.ToDictionary(m => AttributeName(m.Name), m => m.Get(value), StringComparer.Ordinal);

    private object FromState(CopyableShape shape, IReadOnlyDictionary<string, object?> state)
    {
        var values = default(ArgumentSlots); // on the stack: Construct copies the values out
        shape.NewValues(ref values);
        var converter = new PbValueConverter(this);
        foreach (var member in shape.Members)
        {
            if (state.TryGetValue(AttributeName(member.Name), out var value) || state.TryGetValue(member.Name, out value))
            {
                CopyableShape.Put(ref values, member, converter.Convert(value, member.Type));
            }
        }

        return shape.Construct(ref values);
    }

    private static string AttributeName(string member) => JsonNamingPolicy.SnakeCaseLower.ConvertName(member);

    /// <summary>Runs the peer's call of <paramref name="method"/> on <paramref name="target"/>, arguments read as its parameters.</summary>
    private async Task<object?> InvokeAsync(object target, MethodTable methods, string method, IReadOnlyList<object?> arguments, IReadOnlyDictionary<string, object?> keywordArguments, CancellationToken cancellationToken)
    {
        if (keywordArguments.Count > 0)
        {
            throw new PbRemoteCallException(new PbFailure("builtins.TypeError", $"{target.GetType().Name}.{method} takes positional arguments only"));
        }

        if (!methods.TryFind(Encoding.UTF8.GetBytes(method), arguments.Count, out var remoteMethod, out var refusal))
        {
            // The type Twisted itself answers a missing remote_ method with, so Python peers handle both alike.
            throw new PbRemoteCallException(new PbFailure("twisted.spread.flavors.NoSuchMethod", refusal!));
        }

        var converter = new PbValueConverter(this);
        var converted = new object?[arguments.Count];
        for (var i = 0; i < converted.Length; i++)
        {
            converted[i] = converter.Convert(arguments[i], remoteMethod.WireParameterTypes[i]);
        }

        Interlocked.Increment(ref _incomingCalls);
        try
        {
            return await Start(remoteMethod, target, converted, cancellationToken).ConfigureAwait(false);
        }
        catch (RemoteCallException remote)
        {
            throw new PbRemoteCallException(new PbFailure(remote.RemoteType, remote.Message));
        }
        finally
        {
            Interlocked.Decrement(ref _incomingCalls);
        }
    }

    private ValueTask<object?> Start(RemoteMethod method, object target, object?[] arguments, CancellationToken cancellationToken)
    {
        var slots = default(ArgumentSlots);
        method.PutArguments(arguments, ref slots);
        return method.InvokeAsync(target, ref slots, this, cancellationToken);
    }

    /// <summary>A referenceable as the PB connection exports it.</summary>
    private sealed class ReferenceableExport(PbSession session, IReferenceable target) : IPbCallable, IPbExportLifetime
    {
        public IReferenceable Target => target;

        public Task<object?> CallAsync(string method, IReadOnlyList<object?> arguments, IReadOnlyDictionary<string, object?> keywordArguments, CancellationToken cancellationToken) =>
            session.InvokeAsync(target, MethodTable.ForReferenceable(target.GetType()), method, arguments, keywordArguments, cancellationToken);

        public void Released()
        {
            lock (session._gate)
            {
                session._exports.Remove(target);
            }
        }
    }

    /// <summary>A cacheable as the PB connection replicates it: each observer handed out maps to a Tether <see cref="CacheObserver"/>.</summary>
    private sealed class CacheableExport(PbSession session, Cacheable cacheable) : IPbCacheable
    {
        public Cacheable Cacheable => cacheable;

        public string TypeName => cacheable.CacheName;

        public object? GetStateToCacheAndObserve(PbCacheObserver observer)
        {
            var tetherObserver = new CacheObserver(session, (uint)observer.CacheId, cacheable);
            lock (session._gate)
            {
                session._observers[tetherObserver.CacheId] = (observer, tetherObserver);
            }

            return cacheable.GetStateToCacheAndObserve(session, tetherObserver);
        }

        public void StoppedObserving(PbCacheObserver observer)
        {
            (PbCacheObserver, CacheObserver Observer) entry;
            lock (session._gate)
            {
                if (!session._observers.Remove((uint)observer.CacheId, out entry))
                {
                    return;
                }
            }

            if (entry.Observer.TryStop())
            {
                cacheable.StoppedObserving(session, entry.Observer);
            }
        }
    }

    /// <summary>A replica of the peer's cacheable: the owner's observer calls run its <c>Observe</c> methods in order.</summary>
    private sealed class ReplicaAdapter(PbSession session, RemoteCache replica) : IPbCallable
    {
        public RemoteCache Replica => replica;

        public Task<object?> CallAsync(string method, IReadOnlyList<object?> arguments, IReadOnlyDictionary<string, object?> keywordArguments, CancellationToken cancellationToken)
        {
            var done = new TaskCompletionSource<object?>(TaskCreationOptions.RunContinuationsAsynchronously);
            replica.Enqueue(
                async () => done.TrySetResult(await session.InvokeAsync(replica, MethodTable.ForReplica(replica.GetType()), method, arguments, keywordArguments, cancellationToken).ConfigureAwait(false)),
                error => done.TrySetException(error));
            return done.Task;
        }
    }
}
