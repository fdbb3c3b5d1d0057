using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Tether.Transport;

namespace Tether.Tests.Infrastructure;

/// <summary>
/// One end of an in-memory duplex byte stream. Sends can be paused (to hold data "in the socket") and every send is
/// recorded, so tests can check what went out and in which order.
/// </summary>
public sealed class InMemoryTransport : ITransport
{
    private readonly Pipe _inbound = new(new PipeOptions(pauseWriterThreshold: 0, resumeWriterThreshold: 0, useSynchronizationContext: false));
    private readonly object _recordGate = new();
    private readonly List<byte[]> _sent = [];
    private InMemoryTransport _peer = null!;
    private TaskCompletionSource _sendGate = CompletedGate();
    private int _closed;
    private int _waitingSends;
    private (DisconnectReason Reason, string Detail)? _abnormalEnding;

    private InMemoryTransport()
    {
    }

    public EndPoint? LocalEndPoint => null;

    /// <summary>Whether sends are copied into <see cref="Sent"/> (off for tests that measure allocation).</summary>
    public bool RecordSends { get; set; } = true;

    public EndPoint? RemoteEndPoint => null;

    /// <summary>Every buffer passed to SendAsync, in order.</summary>
    public IReadOnlyList<byte[]> Sent
    {
        get
        {
            lock (_recordGate)
            {
                return [.. _sent];
            }
        }
    }

    /// <summary>Sends currently held by <see cref="PauseSends"/>.</summary>
    public int WaitingSends => Volatile.Read(ref _waitingSends);

    public byte[] SentBytes() => [.. Sent.SelectMany(b => b)];

    public static (InMemoryTransport A, InMemoryTransport B) CreatePair()
    {
        var a = new InMemoryTransport();
        var b = new InMemoryTransport();
        a._peer = b;
        b._peer = a;
        return (a, b);
    }

    /// <summary>Holds every further send until <see cref="ResumeSends"/> (like a full socket buffer).</summary>
    public void PauseSends()
    {
        lock (_recordGate)
        {
            if (_sendGate.Task.IsCompleted)
            {
                _sendGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }
    }

    public void ResumeSends()
    {
        lock (_recordGate)
        {
            _sendGate.TrySetResult();
        }
    }

    /// <summary>Writes raw bytes as if the peer had sent them (for hand-made, possibly malformed, input).</summary>
    public async Task InjectAsync(ReadOnlyMemory<byte> bytes)
    {
        await _inbound.Writer.WriteAsync(bytes);
    }

    /// <summary>Ends the inbound stream as if the peer sent FIN.</summary>
    public void InjectEndOfStream() => _inbound.Writer.Complete();

    /// <summary>
    /// Ends the inbound stream the way Linux reports a reset or a kernel timeout to a reader: end of stream, with the
    /// real ending to be found by <see cref="ClassifyEndOfStream"/>.
    /// </summary>
    public void InjectAbnormalEndOfStream(DisconnectReason reason, string detail)
    {
        _abnormalEnding = (reason, detail);
        _inbound.Writer.Complete();
    }

    public (DisconnectReason Reason, string Detail)? ClassifyEndOfStream() => _abnormalEnding;

    // Pooled state machines, like the socket transport's awaitables: allocation tests measure Tether, not this double.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<int> WaitForDataAsync(CancellationToken cancellationToken)
    {
        var result = await _inbound.Reader.ReadAsync(cancellationToken);
        _inbound.Reader.AdvanceTo(result.Buffer.Start, result.Buffer.Start);
        ObjectDisposedException.ThrowIf(result.IsCanceled, this);
        return 0;
    }

    // Pooled state machines, like the socket transport's awaitables: allocation tests measure Tether, not this double.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var result = await _inbound.Reader.ReadAsync(cancellationToken);
        var take = (int)Math.Min(buffer.Length, result.Buffer.Length);
        result.Buffer.Slice(0, take).CopyTo(buffer.Span);
        _inbound.Reader.AdvanceTo(result.Buffer.GetPosition(take));
        return take;
    }

    // Pooled state machines, like the socket transport's awaitables: allocation tests measure Tether, not this double.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask SendAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken)
    {
        Task gate;
        lock (_recordGate)
        {
            gate = _sendGate.Task;
        }

        Interlocked.Increment(ref _waitingSends);
        try
        {
            await gate.WaitAsync(cancellationToken);
        }
        finally
        {
            Interlocked.Decrement(ref _waitingSends);
        }

        ObjectDisposedException.ThrowIf(Volatile.Read(ref _closed) != 0, this);

        if (RecordSends)
        {
            lock (_recordGate)
            {
                _sent.Add(buffer.ToArray());
            }
        }

        await _peer._inbound.Writer.WriteAsync(buffer, cancellationToken);
    }

    public void ShutdownSend() => _peer._inbound.Writer.Complete();

    public void Abort()
    {
        _peer._inbound.Writer.Complete(new SocketException((int)SocketError.ConnectionReset));
        Dispose();
    }

    public (DisconnectReason Reason, string Detail) Classify(Exception exception) => SocketTransport.ClassifySocketError(exception);

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _closed, 1) == 0)
        {
            // Like closing a socket: a pending wait ends (the reader itself must not be completed under a pending read).
            _inbound.Reader.CancelPendingRead();
            ResumeSends();
        }
    }

    private static TaskCompletionSource CompletedGate()
    {
        var gate = new TaskCompletionSource();
        gate.SetResult();
        return gate;
    }
}
