using System.Buffers;
using System.Threading.Tasks.Sources;
using Tether.Internal;

namespace Tether.Framing;

/// <summary>
/// One queued piece of an outgoing message (a whole message, or one read of a stream). Pooled per connection; its
/// completion is the caller's <see cref="ValueTask"/>, so steady-state sends allocate nothing.
/// </summary>
internal sealed class PendingSend : IValueTaskSource
{
    private ManualResetValueTaskSourceCore<bool> _core = new() { RunContinuationsAsynchronously = true };
    private CancellationTokenRegistration _cancellation;
    private FreeList<PendingSend>? _pool;
    private int _completed;

    public ReadOnlySequence<byte> Data { get; private set; }

    public SequencePosition Position { get; set; }

    public long Remaining { get; set; }

    public bool EndOfMessage { get; private set; }

    public TetherChannel Channel { get; private set; } = null!;

    /// <summary>The caller gave up (cancellation) after part of the message was written: the writer sends ABORT.</summary>
    public bool AbortRequested { get; set; }

    /// <summary>The caller gave up before anything was written: the writer skips it.</summary>
    public bool Withdrawn { get; set; }

    /// <summary>True once the writer took the piece off the channel queue; only then may the object be reused.</summary>
    public bool Dequeued { get; set; }

    public CancellationToken CancellationToken { get; private set; }

    /// <summary>
    /// For a detached send: what to release when the piece is done with. Nobody awaits such a piece; it goes back to
    /// the pool as soon as it completes.
    /// </summary>
    public IDisposable? Owner { get; set; }

    /// <summary>Prepares the piece. Cancellable pieces are never pooled: a late cancellation callback must not touch a reused object.</summary>
    public void Initialize(FreeList<PendingSend> pool, TetherChannel channel, ReadOnlySequence<byte> data, bool endOfMessage, CancellationToken cancellationToken)
    {
        _pool = cancellationToken.CanBeCanceled ? null : pool;
        CancellationToken = cancellationToken;
        Channel = channel;
        Data = data;
        Position = data.Start;
        Remaining = data.Length;
        EndOfMessage = endOfMessage;
        AbortRequested = false;
        Withdrawn = false;
        Dequeued = false;
        _completed = 0;
    }

    public ValueTask AsValueTask() => new(this, _core.Version);

    public void RegisterCancellation(Action<object?> onCancel, CancellationToken cancellationToken)
    {
        if (cancellationToken.CanBeCanceled)
        {
            _cancellation = cancellationToken.UnsafeRegister(onCancel, this);
        }
    }

    /// <summary>Completes the caller's task once; later calls are ignored.</summary>
    public bool TryComplete(Exception? error)
    {
        if (Interlocked.Exchange(ref _completed, 1) != 0)
        {
            return false;
        }

        _cancellation.Unregister();
        if (Owner is { } owner)
        {
            // Detached: nobody awaits this piece, so it is recycled here, once the writer is done with it.
            Owner = null;
            owner.Dispose();
            Data = default;
            Channel = null!;
            _pool?.Return(this);
            return true;
        }

        if (error is null)
        {
            _core.SetResult(true);
        }
        else
        {
            _core.SetException(error);
        }

        return true;
    }

    void IValueTaskSource.GetResult(short token)
    {
        try
        {
            _core.GetResult(token);
        }
        finally
        {
            // Only pooled pieces (never cancellable) are reset; a withdrawn or aborted piece may still sit in a channel
            // queue and is simply not reused.
            if (_pool is not null && Dequeued && !Withdrawn && !AbortRequested)
            {
                Data = default;
                Channel = null!;
                _core.Reset();
                _pool?.Return(this);
            }
        }
    }

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
