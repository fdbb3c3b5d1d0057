using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using Nerdbank.MessagePack;
using Tether.Protocol;

namespace Tether.Remoting;

/// <summary>
/// References both ways. Exports are counted per connection: each time an object is sent its count grows; the peer's
/// decref carries how many sends it is releasing, so a send that crosses a release in flight is never lost.
/// </summary>
internal sealed partial class NativeSession : IReferenceCodec
{
    private readonly Dictionary<uint, Export> _exportsById = [];
    private readonly Dictionary<object, Export> _exportsByObject = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<uint, WeakReference<RemoteReference>> _imports = [];
    private readonly ConcurrentQueue<(uint Id, int Count)> _decrefs = new();
    private readonly List<uint> _messageExports = [];
    private uint _lastExportId;
    private int _decrefFlushScheduled;

    bool IReferenceCodec.TryWrite(ref MessagePackWriter writer, object value, ValueWriter values)
    {
        switch (value)
        {
            case RemoteReference reference:
                WriteOwnReference(ref writer, reference);
                return true;
            case IRemoteProxy proxy:
                WriteOwnReference(ref writer, proxy.Reference);
                return true;
            case Cacheable cacheable:
                WriteCache(ref writer, cacheable, values);
                return true;
            case IReferenceable referenceable:
                ValueWriter.WriteId(ref writer, ValueTag.Reference, AddExport(referenceable));
                return true;
            default:
                return false;
        }
    }

    object IReferenceCodec.Resolve(sbyte tag, uint id)
    {
        switch (tag)
        {
            case ValueTag.Reference:
                return Import(id);
            case ValueTag.Yours when TryGetExport(id, out var export):
                return export.Target;
            case ValueTag.Yours:
                throw new TetherSerializationException($"The peer sent back a reference to object #{id}, which this side no longer exports.");
            default:
                return ResolveReplica(id);
        }
    }

    bool IReferenceCodec.TryAdapt(object value, Type target, out object adapted)
    {
        if (value is RemoteReference reference && target.IsInterface)
        {
            adapted = reference.As(target);
            return true;
        }

        adapted = value;
        return false;
    }

    /// <summary>Called by a reference on release (dispose or finalizer); the decref is sent from the thread pool, in batches.</summary>
    internal override void ReleaseImport(RemoteReference reference, int count)
    {
        lock (_gate)
        {
            if (_imports.TryGetValue(reference.Id, out var weak) && (!weak.TryGetTarget(out var current) || ReferenceEquals(current, reference)))
            {
                _imports.Remove(reference.Id);
                RemotingCounters.Imports.Add(-1);
            }
        }

        if (_disconnection is not null)
        {
            return;
        }

        _decrefs.Enqueue((reference.Id, count));
        if (Interlocked.Exchange(ref _decrefFlushScheduled, 1) == 0)
        {
            ThreadPool.UnsafeQueueUserWorkItem(static session => session.FlushDecrefs(), this, preferLocal: false);
        }
    }

    private void FlushDecrefs()
    {
        Volatile.Write(ref _decrefFlushScheduled, 0);
        while (_decrefs.TryDequeue(out var decref))
        {
            Post(decref, static (ref MessagePackWriter writer, ValueWriter _, (uint Id, int Count) release) =>
            {
                writer.WriteArrayHeader(3);
                writer.Write((byte)MessageKind.Decref);
                writer.Write(release.Id);
                writer.Write(release.Count);
            });
        }
    }

    private void ExportRoot(object root)
    {
        var export = new Export(0, root, MethodTable.ForReferenceable(root.GetType())) { Count = int.MaxValue };
        _exportsById.Add(0, export);
        _exportsByObject.Add(root, export);
        RemotingCounters.Exports.Add(1);
    }

    private uint AddExport(object target)
    {
        lock (_gate)
        {
            if (_exportsByObject.TryGetValue(target, out var export))
            {
                if (export.Count != int.MaxValue)
                {
                    export.Count++;
                }
            }
            else
            {
                if (_exportsById.Count >= _options.MaxExports)
                {
                    throw new TetherLimitException($"This side already exports {_exportsById.Count} objects on this connection (RemotingOptions.MaxExports = {_options.MaxExports}).");
                }

                export = new Export(NextFreeId(ref _lastExportId, _exportsById), target, MethodTable.ForReferenceable(target.GetType())) { Count = 1 };
                _exportsById.Add(export.Id, export);
                _exportsByObject.Add(target, export);
                RemotingCounters.Exports.Add(1);
            }

            _messageExports.Add(export.Id);
            return export.Id;
        }
    }

    private bool TryGetExport(uint id, [NotNullWhen(true)] out Export? export)
    {
        lock (_gate)
        {
            return _exportsById.TryGetValue(id, out export);
        }
    }

    private void HandleDecref(uint id, int count)
    {
        lock (_gate)
        {
            DecrementExport(id, count);
        }
    }

    private void DecrementExport(uint id, int count)
    {
        if (!_exportsById.TryGetValue(id, out var export) || export.Count == int.MaxValue)
        {
            return;
        }

        export.Count -= count;
        if (export.Count <= 0)
        {
            _exportsById.Remove(id);
            _exportsByObject.Remove(export.Target);
            RemotingCounters.Exports.Add(-1);
        }
    }

    private RemoteReference Import(uint id)
    {
        lock (_gate)
        {
            if (_imports.TryGetValue(id, out var weak) && weak.TryGetTarget(out var existing) && !existing.IsReleased)
            {
                existing.CountReceipt();
                return existing;
            }

            var reference = new RemoteReference(this, id, counted: true);
            if (weak is null)
            {
                RemotingCounters.Imports.Add(1);
            }

            _imports[id] = new WeakReference<RemoteReference>(reference);
            return reference;
        }
    }

    private void WriteOwnReference(ref MessagePackWriter writer, RemoteReference reference)
    {
        if (!ReferenceEquals(reference.Session, this))
        {
            throw new TetherSerializationException("A reference to an object on another connection cannot be passed on; pass a local object that forwards to it.");
        }

        if (reference.IsReleased)
        {
            throw new TetherSerializationException($"The reference #{reference.Id} was released and cannot be sent.");
        }

        ValueWriter.WriteId(ref writer, ValueTag.Yours, reference.Id);
    }

    /// <summary>Undoes the counts a message took when it failed to serialize (called under the send lock).</summary>
    private void RollBackMessage()
    {
        lock (_gate)
        {
            foreach (var id in _messageExports)
            {
                DecrementExport(id, 1);
            }
        }

        foreach (var observer in _messageObservers)
        {
            StopObserving(observer);
        }
    }

    /// <summary>One exported object and how many sends of it the peer has not released.</summary>
    private sealed class Export(uint id, object target, MethodTable methods)
    {
        public uint Id { get; } = id;

        public object Target { get; } = target;

        public MethodTable Methods { get; } = methods;

        public int Count { get; set; }
    }
}
