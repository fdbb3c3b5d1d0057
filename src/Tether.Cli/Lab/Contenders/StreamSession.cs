using System.Buffers.Binary;
using System.Diagnostics;
using System.Net.Sockets;
using System.Security.Cryptography;
using Tether.Cli.Peer;

namespace Tether.Cli.Lab.Contenders;

/// <summary>
/// One connection of a plain-socket contender: a read loop that parses <see cref="StreamWire"/> messages, a write lock
/// that keeps messages whole and in order, and the events of <c>tether peer</c>. The client and server flows
/// (<see cref="StreamContenderCommand"/>) and the 2005 keepalive (<see cref="SeedKeepalive"/>) drive it.
/// </summary>
internal sealed class StreamSession : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly PeerEvents _events;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly TaskCompletionSource<string> _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stop = new();

    /// <summary>Creates a session over a connected socket.</summary>
    /// <param name="socket">The socket.</param>
    /// <param name="events">Where to report.</param>
    public StreamSession(Socket socket, PeerEvents events)
    {
        _socket = socket;
        _events = events;
        LastMessageReceived = Stopwatch.GetTimestamp();
    }

    /// <summary>Called for every complete message, with its kind and, for small ones, its payload.</summary>
    public event Action<StreamMessageKind, ReadOnlyMemory<byte>>? MessageReceived;

    /// <summary>Called when a bulk payload arrived whole: kind, length, SHA-256 (hex), longest silence in seconds.</summary>
    public event Action<StreamMessageKind, long, string, double>? BulkReceived;

    /// <summary>Completes with the disconnect reason once the connection ended (reported exactly once).</summary>
    public Task<string> Ended => _ended.Task;

    /// <summary>Stopwatch timestamp of the last complete message received (the 2005 scheme's "activity").</summary>
    public long LastMessageReceived { get; private set; }

    /// <summary>Reads until the connection ends; reports <c>disconnected</c>.</summary>
    /// <returns>The reason.</returns>
    public async Task<string> RunAsync()
    {
        try
        {
            var header = new byte[StreamWire.HeaderLength];
            while (await ReadExactlyOrEndAsync(header))
            {
                var kind = (StreamMessageKind)header[0];
                var length = BinaryPrimitives.ReadInt64BigEndian(header.AsSpan(1));
                if (StreamWire.IsBulk(kind))
                {
                    await ReceiveBulkAsync(kind, length);
                }
                else if (length is >= 0 and <= StreamWire.MaxSmallPayload)
                {
                    var payload = new byte[length];
                    if (!await ReadExactlyOrEndAsync(payload))
                    {
                        break;
                    }

                    LastMessageReceived = Stopwatch.GetTimestamp();
                    MessageReceived?.Invoke(kind, payload);
                }
                else
                {
                    return End("protocol_violation");
                }
            }

            return End("peer_closed");
        }
        catch (SocketException e)
        {
            return End(StreamWire.ReasonOf(e.SocketErrorCode));
        }
        catch (EndOfStreamException)
        {
            return End("peer_closed");
        }
        catch (Exception e) when (e is ObjectDisposedException or OperationCanceledException)
        {
            return await Ended;
        }
    }

    /// <summary>Writes one message whole; the write lock makes a later message wait for it (no priority).</summary>
    /// <param name="kind">The kind.</param>
    /// <param name="payload">A small payload.</param>
    /// <returns>A task that completes when the message is in the socket.</returns>
    public Task SendAsync(StreamMessageKind kind, ReadOnlyMemory<byte> payload) =>
        WriteLockedAsync(async token =>
        {
            await _socket.SendAsync(StreamWire.Header(kind, payload.Length), token);
            await _socket.SendAsync(payload, token);
        });

    /// <summary>Writes a bulk payload of pseudo-random bytes as one message.</summary>
    /// <param name="kind">Upload or Download.</param>
    /// <param name="length">Bytes.</param>
    /// <param name="seed">The generator seed.</param>
    /// <param name="direction">For progress events: upload or download.</param>
    /// <returns>The payload's SHA-256 (hex).</returns>
    public async Task<string> SendBulkAsync(StreamMessageKind kind, long length, ulong seed, string direction)
    {
        var report = _events.ProgressReporter(direction, length);
        using var source = new PseudoRandomStream(length, seed);
        await WriteLockedAsync(async token =>
        {
            await _socket.SendAsync(StreamWire.Header(kind, length), token);
            var block = new byte[StreamWire.BlockSize];
            long sent = 0;
            int read;
            while ((read = await source.ReadAsync(block, token)) > 0)
            {
                await _socket.SendAsync(block.AsMemory(0, read), token);
                sent += read;
                report(sent);
            }
        });
        return source.Sha256;
    }

    /// <summary>Ends the connection from this side and reports <paramref name="reason"/> (once).</summary>
    /// <param name="reason">The reason: local_close (orderly, FIN) or dead_peer (abandoned: abort with RST).</param>
    public void Close(string reason)
    {
        if (!_ended.TrySetResult(reason))
        {
            return;
        }

        _events.Disconnected(reason);
        _stop.Cancel();
        if (reason == "local_close")
        {
            TryShutdownSend();
            _socket.Close(timeout: 1);
        }
        else
        {
            // Abandoning a peer presumed dead: do not wait on it, reset the connection.
            _socket.LingerState = new LingerOption(true, 0);
            _socket.Close();
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        Close("local_close");
        await Task.Yield();
        _socket.Dispose();
        _writeLock.Dispose();
        _stop.Dispose();
    }

    private string End(string reason)
    {
        if (_ended.TrySetResult(reason))
        {
            _events.Disconnected(reason);
            _stop.Cancel();
            _socket.Close();
        }

        return _ended.Task.Result;
    }

    private async Task WriteLockedAsync(Func<CancellationToken, Task> write)
    {
        var token = _stop.Token;
        await _writeLock.WaitAsync(token);
        try
        {
            await write(token);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private async Task ReceiveBulkAsync(StreamMessageKind kind, long length)
    {
        var direction = kind == StreamMessageKind.Upload ? "upload" : "download";
        var report = _events.ProgressReporter(direction, length);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var block = new byte[StreamWire.BlockSize];
        long received = 0;
        var lastRead = Stopwatch.GetTimestamp();
        var longestSilence = TimeSpan.Zero;
        while (received < length)
        {
            var read = await _socket.ReceiveAsync(block.AsMemory(0, (int)Math.Min(block.Length, length - received)), _stop.Token);
            if (read == 0)
            {
                throw new EndOfStreamException();
            }

            // The physics figure the lab reports beside the bound: the longest gap between two reads of this flow.
            var gap = Stopwatch.GetElapsedTime(lastRead);
            longestSilence = gap > longestSilence ? gap : longestSilence;
            lastRead = Stopwatch.GetTimestamp();
            hash.AppendData(block, 0, read);
            received += read;
            report(received);
        }

        LastMessageReceived = Stopwatch.GetTimestamp();
        BulkReceived?.Invoke(kind, length, Convert.ToHexStringLower(hash.GetHashAndReset()), longestSilence.TotalSeconds);
    }

    private async Task<bool> ReadExactlyOrEndAsync(Memory<byte> buffer)
    {
        var filled = 0;
        while (filled < buffer.Length)
        {
            var read = await _socket.ReceiveAsync(buffer[filled..], _stop.Token);
            if (read == 0)
            {
                return false;
            }

            filled += read;
        }

        return true;
    }

    private void TryShutdownSend()
    {
        try
        {
            _socket.Shutdown(SocketShutdown.Send);
        }
        catch (SocketException)
        {
        }
    }
}
