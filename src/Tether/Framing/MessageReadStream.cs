namespace Tether.Framing;

/// <summary>A read-only stream over one received message; ends where the message ends.</summary>
internal sealed class MessageReadStream : Stream
{
    private readonly TetherChannel _channel;
    private readonly long _token;
    private bool _finished;

    public MessageReadStream(TetherChannel channel, long token)
    {
        _channel = channel;
        _token = token;
    }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_finished)
        {
            return 0;
        }

        var read = await _channel.ReadMessageBytesAsync(_token, buffer, cancellationToken).ConfigureAwait(false);
        _finished = read == 0 && buffer.Length > 0;
        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) =>
        ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_finished)
        {
            _channel.AbandonMessageStream(_token);
        }

        base.Dispose(disposing);
    }
}
