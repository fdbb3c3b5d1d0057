using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Tether.Cli.Peer;

/// <summary>
/// A read-only stream of <see cref="Length"/> deterministic pseudo-random bytes (xorshift64* seeded through
/// splitmix64), hashed with SHA-256 as they are read. The same seed and length give the same bytes whatever the read
/// sizes. Fast enough (GB/s) never to be the bottleneck of a transfer.
/// </summary>
internal sealed class PseudoRandomStream : Stream
{
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly Action<long>? _onRead;
    private ulong _state;
    private ulong _word;
    private int _wordUsed = sizeof(ulong);
    private long _position;
    private string? _sha256;

    /// <summary>Creates the stream.</summary>
    /// <param name="length">Bytes to produce.</param>
    /// <param name="seed">Generator seed.</param>
    /// <param name="onRead">Called after each read with the bytes produced so far (for progress reports).</param>
    public PseudoRandomStream(long length, ulong seed, Action<long>? onRead = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        Length = length;
        _onRead = onRead;

        // splitmix64 spreads any seed (0 included) into a well-mixed, nonzero xorshift state.
        var z = seed + 0x9E37_79B9_7F4A_7C15;
        z = (z ^ (z >> 30)) * 0xBF58_476D_1CE4_E5B9;
        z = (z ^ (z >> 27)) * 0x94D0_49BB_1331_11EB;
        _state = (z ^ (z >> 31)) | 1;
    }

    /// <inheritdoc />
    public override bool CanRead => true;

    /// <inheritdoc />
    public override bool CanSeek => false;

    /// <inheritdoc />
    public override bool CanWrite => false;

    /// <inheritdoc />
    public override long Length { get; }

    /// <inheritdoc />
    public override long Position
    {
        get => _position;
        set => throw new NotSupportedException();
    }

    /// <summary>SHA-256 (lowercase hex) of all the bytes, available once the stream was read to its end.</summary>
    /// <exception cref="InvalidOperationException">The stream was not read to its end yet.</exception>
    public string Sha256 => _sha256 ??= _position == Length
        ? Convert.ToHexStringLower(_hash.GetHashAndReset())
        : throw new InvalidOperationException("The stream has not been read to its end.");

    /// <inheritdoc />
    public override int Read(Span<byte> buffer)
    {
        var count = (int)Math.Min(buffer.Length, Length - _position);
        if (count == 0)
        {
            return 0;
        }

        var destination = buffer[..count];
        Fill(destination);
        _hash.AppendData(destination);
        _position += count;
        _onRead?.Invoke(_position);
        return count;
    }

    /// <inheritdoc />
    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    /// <inheritdoc />
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        cancellationToken.IsCancellationRequested ? ValueTask.FromCanceled<int>(cancellationToken) : ValueTask.FromResult(Read(buffer.Span));

    /// <inheritdoc />
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <inheritdoc />
    public override void Flush()
    {
    }

    /// <inheritdoc />
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    /// <inheritdoc />
    public override void SetLength(long value) => throw new NotSupportedException();

    /// <inheritdoc />
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _hash.Dispose();
        }

        base.Dispose(disposing);
    }

    private void Fill(Span<byte> destination)
    {
        var i = 0;

        // Finish the word a previous read started, so the byte sequence does not depend on read sizes.
        while (_wordUsed < sizeof(ulong) && i < destination.Length)
        {
            destination[i++] = (byte)(_word >> (8 * _wordUsed++));
        }

        while (destination.Length - i >= sizeof(ulong))
        {
            BinaryPrimitives.WriteUInt64LittleEndian(destination[i..], Next());
            i += sizeof(ulong);
        }

        if (i < destination.Length)
        {
            _word = Next();
            _wordUsed = 0;
            while (i < destination.Length)
            {
                destination[i++] = (byte)(_word >> (8 * _wordUsed++));
            }
        }
    }

    private ulong Next()
    {
        var x = _state;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        _state = x;
        return x * 0x2545_F491_4F6C_DD1D;
    }
}
