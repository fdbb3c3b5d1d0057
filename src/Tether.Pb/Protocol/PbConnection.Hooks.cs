using Tether.Pb.Jelly;

namespace Tether.Pb.Protocol;

public sealed partial class PbConnection
{
    /// <summary>The connection's side of jelly: its exports and references out, the peer's tokens in.</summary>
    private sealed class Hooks(PbConnection connection) : IPbReferenceHooks
    {
        public PbReference? ToReference(object value) => value switch
        {
            PbRemoteReference reference when reference.Connection == connection => new PbLocal(reference.Id),
            _ when connection._replicas.IdOf(value) is { } id => new PbLocalCache(id),
            IPbCacheable cacheable => Cache(cacheable),
            IPbCallable callable => new PbRemote(connection._exports.AddReference(callable)),
            _ when connection._mapOutbound?.Invoke(value) is { } mapped && !ReferenceEquals(mapped, value) => ToReference(mapped),
            _ => null,
        };

        public object? FromReference(PbReference reference) => reference switch
        {
            PbRemote remote => new PbRemoteReference(connection, remote.Id, counted: true),
            PbLocal local => connection._exports.Find(local.Id)
                ?? throw new JellyException($"the peer sent back {local.Id}, which this side does not export"),
            PbNewCache cache => NewReplica(cache),
            PbCached cached => connection._replicas.AddToken(cached.Id)
                ?? throw new JellyException($"the peer referred to replica {cached.Id}, which this side does not hold"),
            PbLocalCache localCache => connection._cached.Find(localCache.Id)
                ?? throw new JellyException($"the peer sent back cacheable {localCache.Id}, which this side does not replicate"),
            _ => throw new JellyException($"unknown reference {reference}"),
        };

        private PbReference Cache(IPbCacheable cacheable)
        {
            var (id, observer) = connection._cached.AddToken(cacheable, connection);
            if (observer is null)
            {
                return new PbCached(id);
            }

            try
            {
                return new PbNewCache(cacheable.TypeName, id, cacheable.GetStateToCacheAndObserve(observer));
            }
            catch
            {
                // The replica is never sent, so the peer will not release it.
                connection._cached.RemoveToken(id, out _);
                throw;
            }
        }

        private object NewReplica(PbNewCache cache)
        {
            var factory = connection._replicaFactory
                ?? throw new JellyException($"the peer sent a {cache.TypeName} cacheable and this connection has no replica factory");
            object replica;
            try
            {
                replica = factory(cache);
            }
            catch (Exception ex) when (ex is not JellyException)
            {
                throw new JellyException($"the replica factory failed for a {cache.TypeName}: {ex.Message}", ex);
            }

            connection._replicas.Add(cache.Id, replica);
            return replica;
        }
    }
}
