using System.Buffers;
using System.Security.Cryptography;
using Tether.Framing;
using Tether.Tests.Infrastructure;

namespace Tether.Tests.Framing;

public sealed class ConnectionTests
{
    [Fact]
    public async Task Small_messages_arrive_in_order_on_the_default_channel()
    {
        await using var pair = await ConnectionPair.CreateAsync();
        for (var i = 0; i < 100; i++)
        {
            await pair.Connector.DefaultChannel.SendAsync(BitConverter.GetBytes(i));
        }

        for (var i = 0; i < 100; i++)
        {
            using var message = (await pair.Listener.DefaultChannel.ReceiveAsync())!.Value;
            Assert.Equal(i, BitConverter.ToInt32(message.ToArray()));
        }
    }

    [Fact]
    public async Task A_sender_whose_thread_has_a_synchronization_context_never_gets_the_writers_work_posted_to_it()
    {
        // The sender writes the first chunk itself (it found nobody writing); the other nine are written from the thread
        // pool. Nothing may be posted to the sender's context: a UI thread that is blocked, or never pumps, would
        // otherwise stall the connection's writer.
        var pair = await ConnectionPair.CreateAsync();
        var payload = RandomNumberGenerator.GetBytes(10 * 32 * 1024);
        var context = new RecordingSynchronizationContext();
        var previous = SynchronizationContext.Current;
        ValueTask sent;
        SynchronizationContext.SetSynchronizationContext(context);
        try
        {
            sent = pair.Connector.DefaultChannel.SendAsync(payload);
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(previous);
        }

        try
        {
            using var message = (await pair.Listener.DefaultChannel.ReceiveAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10)))!.Value;
            Assert.Equal(payload, message.ToArray());
            await sent.AsTask().WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal(0, context.Posts);
        }
        finally
        {
            // A writer stranded in a context that never runs would hold the disposal forever: bound it, so the
            // failure is reported instead.
            pair.Connector.Abort();
            await pair.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        }
    }

    [Fact]
    public async Task Empty_messages_are_messages()
    {
        await using var pair = await ConnectionPair.CreateAsync();
        await pair.Connector.DefaultChannel.SendAsync(ReadOnlyMemory<byte>.Empty);
        using var message = (await pair.Listener.DefaultChannel.ReceiveAsync())!.Value;
        Assert.Equal(0, message.Length);
    }

    [Theory]
    [InlineData(100_000)]
    [InlineData(5_000_000)]
    public async Task Messages_larger_than_the_window_are_chunked_and_arrive_intact(int size)
    {
        await using var pair = await ConnectionPair.CreateAsync(o => o.ChannelWindow = 64 * 1024);
        var payload = RandomNumberGenerator.GetBytes(size);
        var send = pair.Connector.DefaultChannel.SendAsync(payload).AsTask();
        using var message = (await pair.Listener.DefaultChannel.ReceiveAsync())!.Value;
        await send;
        Assert.Equal(SHA256.HashData(payload), SHA256.HashData(message.ToArray()));

        // Every DATA frame respected the chunk size.
        var frames = FrameLog.Decode(pair.ConnectorTransport.SentBytes()).Frames.Where(f => f.Header.Type == FrameType.Data).ToList();
        Assert.All(frames, f => Assert.True(f.Header.Length <= pair.Connector.Options.ChunkSize));
        Assert.Equal(FrameFlags.EndOfMessage, frames[^1].Header.Flags);
    }

    [Fact]
    public async Task Streams_are_sent_and_received_as_one_message()
    {
        await using var pair = await ConnectionPair.CreateAsync();
        var payload = RandomNumberGenerator.GetBytes(3_000_000);
        var channel = pair.Connector.OpenChannel();
        var send = channel.SendAsync(new MemoryStream(payload));
        var accepted = await pair.Listener.AcceptChannelAsync();
        Assert.Equal(channel.Id, accepted.Id);
        await using var stream = (await accepted.ReceiveStreamAsync())!;
        var received = new MemoryStream();
        await stream.CopyToAsync(received);
        Assert.Equal(payload.Length, await send);
        Assert.Equal(SHA256.HashData(payload), SHA256.HashData(received.ToArray()));
    }

    [Fact]
    public async Task A_message_stream_disposed_early_is_skipped_and_the_next_message_is_intact()
    {
        await using var pair = await ConnectionPair.CreateAsync();
        await pair.Connector.DefaultChannel.SendAsync("FIRST-MESSAGE-0123456789"u8.ToArray());
        await pair.Connector.DefaultChannel.SendAsync("SECOND"u8.ToArray());
        await pair.Connector.DefaultChannel.SendAsync("THIRD"u8.ToArray());

        await using (var first = (await pair.Listener.DefaultChannel.ReceiveStreamAsync())!)
        {
            var head = new byte[5];
            await first.ReadExactlyAsync(head);
            Assert.Equal("FIRST"u8.ToArray(), head);
        }

        await using (var second = (await pair.Listener.DefaultChannel.ReceiveStreamAsync())!)
        {
            var all = new MemoryStream();
            await second.CopyToAsync(all);
            Assert.Equal("SECOND"u8.ToArray(), all.ToArray());
        }

        using var third = (await pair.Listener.DefaultChannel.ReceiveAsync())!.Value;
        Assert.Equal("THIRD"u8.ToArray(), third.ToArray());
    }

    [Fact]
    public async Task Cancelling_tokens_of_sends_that_already_completed_is_harmless()
    {
        await using var pair = await ConnectionPair.CreateAsync();
        using var cts = new CancellationTokenSource();
        for (var i = 0; i < 200; i++)
        {
            await pair.Connector.DefaultChannel.SendAsync(new byte[100], cts.Token);
        }

        await cts.CancelAsync();
        await pair.Connector.DefaultChannel.SendAsync(new byte[1]);
        for (var i = 0; i < 201; i++)
        {
            (await pair.Listener.DefaultChannel.ReceiveAsync())!.Value.Dispose();
        }
    }

    [Fact]
    public async Task A_channel_opened_and_disposed_without_a_message_costs_the_peer_nothing()
    {
        await using var pair = await ConnectionPair.CreateAsync();
        await using (pair.Connector.OpenChannel())
        {
        }

        await pair.Connector.DefaultChannel.SendAsync(new byte[] { 5 });
        using var message = (await pair.Listener.DefaultChannel.ReceiveAsync())!.Value;
        Assert.Equal(5, message.ToArray()[0]);
        Assert.False(pair.Listener.Disconnected.IsCompleted);
    }

    [Fact]
    public async Task Completing_a_channel_during_a_stream_send_closes_it_after_the_message()
    {
        await using var pair = await ConnectionPair.CreateAsync(o => o.ChannelWindow = 64 * 1024);
        var channel = pair.Connector.OpenChannel();
        var payload = RandomNumberGenerator.GetBytes(1_000_000);
        var send = channel.SendAsync(new MemoryStream(payload));
        var complete = channel.CompleteAsync().AsTask();
        var accepted = await pair.Listener.AcceptChannelAsync();
        using (var message = (await accepted.ReceiveAsync())!.Value)
        {
            Assert.Equal(payload, message.ToArray());
        }

        Assert.Null(await accepted.ReceiveAsync());
        await send;
        await complete;
        Assert.False(pair.Listener.Disconnected.IsCompleted);
    }

    [Fact]
    public async Task A_peer_that_vanishes_with_a_bare_FIN_fails_readers_instead_of_ending_their_channels()
    {
        await using var pair = await ConnectionPair.CreateAsync();
        pair.ConnectorTransport.ShutdownSend(); // what a crashed process's kernel does: FIN, no CLOSE frame
        var error = await Assert.ThrowsAsync<ConnectionLostException>(async () => await pair.Listener.DefaultChannel.ReceiveAsync());
        Assert.Equal(DisconnectReason.PeerClosed, error.Reason);
    }

    [Fact]
    public async Task Channel_numbers_have_the_openers_parity()
    {
        await using var pair = await ConnectionPair.CreateAsync();
        var fromConnector = pair.Connector.OpenChannel();
        var fromListener = pair.Listener.OpenChannel();
        Assert.Equal(1, fromConnector.Id % 2);
        Assert.Equal(0, fromListener.Id % 2);
        Assert.NotEqual(0, fromListener.Id);
    }

    [Fact]
    public async Task Completing_a_channel_ends_the_peers_receive_after_queued_messages()
    {
        await using var pair = await ConnectionPair.CreateAsync();
        var channel = pair.Connector.OpenChannel();
        await channel.SendAsync(new byte[] { 1 });
        await channel.SendAsync(new byte[] { 2 });
        await channel.CompleteAsync();
        var accepted = await pair.Listener.AcceptChannelAsync();
        using (var first = (await accepted.ReceiveAsync())!.Value)
        {
            Assert.Equal(1, first.ToArray()[0]);
        }

        using (var second = (await accepted.ReceiveAsync())!.Value)
        {
            Assert.Equal(2, second.ToArray()[0]);
        }

        Assert.Null(await accepted.ReceiveAsync());
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await channel.SendAsync(new byte[] { 3 }));
    }

    [Fact]
    public async Task Receiving_again_before_disposing_the_previous_message_is_an_error()
    {
        await using var pair = await ConnectionPair.CreateAsync();
        await pair.Connector.DefaultChannel.SendAsync(new byte[] { 1 });
        await pair.Connector.DefaultChannel.SendAsync(new byte[] { 2 });
        var first = (await pair.Listener.DefaultChannel.ReceiveAsync())!.Value;
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await pair.Listener.DefaultChannel.ReceiveAsync());
        first.Dispose();
        first.Dispose(); // idempotent
        using var second = (await pair.Listener.DefaultChannel.ReceiveAsync())!.Value;
        Assert.Equal(2, second.ToArray()[0]);
    }

    [Fact]
    public async Task Orderly_close_delivers_queued_messages_and_reports_local_close_and_peer_closed()
    {
        await using var pair = await ConnectionPair.CreateAsync();
        var big = RandomNumberGenerator.GetBytes(500_000);
        var send = pair.Connector.DefaultChannel.SendAsync(big).AsTask();
        var closing = pair.Connector.CloseAsync();
        using (var message = (await pair.Listener.DefaultChannel.ReceiveAsync())!.Value)
        {
            Assert.Equal(big.Length, message.Length);
        }

        await send;
        await closing;
        var local = await pair.Connector.Disconnected;
        var remote = await pair.Listener.Disconnected;
        Assert.Equal(DisconnectReason.LocalClose, local.Reason);
        Assert.Equal(DisconnectReason.PeerClosed, remote.Reason);
        Assert.Contains("CLOSE", remote.Detail);
        Assert.Null(await pair.Listener.DefaultChannel.ReceiveAsync());
    }

    [Fact]
    public async Task Every_outstanding_send_fails_exactly_once_when_the_connection_is_lost()
    {
        await using var pair = await ConnectionPair.CreateAsync(o => o.ChannelWindow = 64 * 1024);

        // Nobody reads on the listener side, so the window fills and sends queue up.
        var sends = Enumerable.Range(0, 20).Select(_ => pair.Connector.DefaultChannel.SendAsync(new byte[50_000]).AsTask()).ToList();
        await Eventually.TrueAsync(() => sends.Any(s => s.IsCompleted), "the first send to complete");
        pair.Listener.Abort("test");
        var disconnection = await pair.Connector.Disconnected.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(DisconnectReason.PeerReset, disconnection.Reason);
        await Task.WhenAll(sends.Select(s => s.ContinueWith(_ => { }, TaskScheduler.Default)));
        var failed = sends.Where(s => s.IsFaulted).ToList();
        Assert.NotEmpty(failed);
        Assert.All(failed, s => Assert.IsType<ConnectionLostException>(s.Exception!.InnerException));
        Assert.All(sends, s => Assert.True(s.IsCompletedSuccessfully || s.IsFaulted));

        // Sends after the loss fail fast with the reason, as a faulted task.
        var late = pair.Connector.DefaultChannel.SendAsync(new byte[1]);
        var error = await Assert.ThrowsAsync<ConnectionLostException>(async () => await late);
        Assert.Equal(DisconnectReason.PeerReset, error.Reason);
    }

    [Fact]
    public async Task A_cancelled_send_that_has_not_started_is_withdrawn()
    {
        await using var pair = await ConnectionPair.CreateAsync(o => o.ChannelWindow = 64 * 1024);

        // The first message is larger than the window and nobody reads yet: it stalls on credit, the next one queues.
        var blocker = pair.Connector.DefaultChannel.SendAsync(new byte[100_000]).AsTask();
        await Eventually.TrueAsync(() => pair.Connector.BytesSent > 60_000, "the window to fill");
        using var cts = new CancellationTokenSource();
        var cancelled = pair.Connector.DefaultChannel.SendAsync(new byte[] { 42 }, cts.Token).AsTask();
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        var after = pair.Connector.DefaultChannel.SendAsync(new byte[] { 7 }).AsTask();

        using (var first = (await pair.Listener.DefaultChannel.ReceiveAsync())!.Value)
        {
            Assert.Equal(100_000, first.Length);
        }

        await blocker;
        await after;
        using var next = (await pair.Listener.DefaultChannel.ReceiveAsync())!.Value;
        Assert.Equal(new byte[] { 7 }, next.ToArray());
    }

    [Fact]
    public async Task A_cancelled_send_in_progress_is_aborted_on_the_wire_and_skipped_by_the_receiver()
    {
        await using var pair = await ConnectionPair.CreateAsync(o => o.ChannelWindow = 64 * 1024);
        using var cts = new CancellationTokenSource();

        // 1 MB with a 64 KB window and no reader: it starts, then stalls on credit.
        var big = pair.Connector.DefaultChannel.SendAsync(new byte[1_000_000], cts.Token).AsTask();
        await Eventually.TrueAsync(() => pair.Connector.BytesSent > 60_000, "part of the message to be written");
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => big);

        // The window is still full of the aborted message's bytes; the receiver drops them, which returns the credit.
        var next = pair.Connector.DefaultChannel.SendAsync(new byte[] { 9 }).AsTask();
        using var message = (await pair.Listener.DefaultChannel.ReceiveAsync())!.Value;
        await next;
        Assert.Equal(new byte[] { 9 }, message.ToArray());
        Assert.Contains(FrameLog.Decode(pair.ConnectorTransport.SentBytes()).Frames, f => f.Header.Flags == FrameFlags.AbortMessage);
    }

    private sealed class RecordingSynchronizationContext : SynchronizationContext
    {
        private int _posts;

        public int Posts => Volatile.Read(ref _posts);

        public override void Post(SendOrPostCallback d, object? state) => Interlocked.Increment(ref _posts); // never runs it

        public override void Send(SendOrPostCallback d, object? state) => Interlocked.Increment(ref _posts);
    }
}
