using Tether.Framing;
using Tether.Tests.Infrastructure;

namespace Tether.Tests.Framing;

public sealed class PriorityAndFlowControlTests
{
    [Fact]
    public async Task A_ping_queued_during_a_10MB_message_goes_out_before_the_next_data_chunk()
    {
        // A window larger than the message, so only the socket (held below) limits the sender.
        await using var pair = await ConnectionPair.CreateAsync(o => o.ChannelWindow = 16 * 1024 * 1024);
        var reading = DrainAsync(pair.Listener.DefaultChannel);

        // The first data batch is written and held in the "socket"; 10 MB minus one chunk stay queued behind it.
        pair.ConnectorTransport.PauseSends();
        var batchesBefore = pair.ConnectorTransport.Sent.Count;
        var send = pair.Connector.DefaultChannel.SendAsync(new byte[10 * 1024 * 1024]).AsTask();
        await Eventually.TrueAsync(() => pair.ConnectorTransport.WaitingSends == 1, "the first data write to be held");

        // The outbound direction now looks idle on the (fake) clock: the heartbeat queues a PING.
        pair.AdvanceTicks(8); // 2 s, tick by tick (a single late tick would count as our own stall)
        pair.ConnectorTransport.ResumeSends();
        await send;
        await Eventually.TrueAsync(() => pair.Listener.BytesReceived >= pair.Connector.BytesSent, "the receiver to take everything");

        var batches = DecodeBatches(pair.ConnectorTransport.Sent).Skip(batchesBefore).ToList();
        Assert.All(batches[0], f => Assert.Equal(FrameType.Data, f.Type));
        // The next write leads with the priority lane (our PING, and a PONG if the peer's own PING got here first).
        var next = batches[1];
        var firstData = next.FindIndex(f => f.Type == FrameType.Data);
        Assert.True(firstData > 0, "data follows the control frames in the same write");
        Assert.Contains(next.Take(firstData), f => f.Type == FrameType.Ping);
        Assert.All(next.Take(firstData), f => Assert.NotEqual(FrameType.Data, f.Type));

        // Everything but the first chunk followed the PING.
        var dataAfter = batches.Skip(1).SelectMany(b => b).Where(f => f.Type == FrameType.Data).Sum(f => (long)f.Length);
        Assert.Equal((10 * 1024 * 1024) - pair.Connector.Options.ChunkSize, dataAfter);
        Assert.All(batches, b => Assert.True(b.Where(f => f.Type == FrameType.Data).Sum(f => f.Length) <= pair.Connector.Options.ChunkSize, "one chunk of data per write"));
        _ = reading;
    }

    [Fact]
    public async Task Two_large_messages_on_different_channels_are_interleaved()
    {
        await using var pair = await ConnectionPair.CreateAsync();
        var first = pair.Connector.OpenChannel();
        var second = pair.Connector.OpenChannel();
        pair.ConnectorTransport.PauseSends();
        var sends = Task.WhenAll(first.SendAsync(new byte[1_000_000]).AsTask(), second.SendAsync(new byte[1_000_000]).AsTask());
        pair.ConnectorTransport.ResumeSends();
        var readers = Task.WhenAll(
            Task.Run(async () => await DrainAsync(await pair.Listener.AcceptChannelAsync())),
            Task.Run(async () => await DrainAsync(await pair.Listener.AcceptChannelAsync())));
        await sends;
        pair.Connector.Abort("done");
        await readers.ContinueWith(_ => { }, TaskScheduler.Default);

        var channels = DecodeBatches(pair.ConnectorTransport.Sent).SelectMany(b => b).Where(f => f.Type == FrameType.Data && f.Length > 0).Select(f => f.Channel).ToList();
        var switches = channels.Zip(channels.Skip(1)).Count(p => p.First != p.Second);
        Assert.True(switches >= 20, $"channels switched only {switches} times over {channels.Count} chunks");
    }

    [Fact]
    public async Task Credit_exhaustion_stalls_only_that_channel()
    {
        await using var pair = await ConnectionPair.CreateAsync(o => o.ChannelWindow = 64 * 1024);
        var stalled = pair.Connector.OpenChannel();
        var stalledSend = stalled.SendAsync(new byte[1_000_000]).AsTask();
        _ = await pair.Listener.AcceptChannelAsync(); // accepted, never read

        for (var i = 0; i < 200; i++)
        {
            await pair.Connector.DefaultChannel.SendAsync(new byte[1000]);
            using var message = (await pair.Listener.DefaultChannel.ReceiveAsync())!.Value;
            Assert.Equal(1000, message.Length);
        }

        Assert.False(stalledSend.IsCompleted);
        var stalledBytes = DecodeBatches(pair.ConnectorTransport.Sent).SelectMany(b => b).Where(f => f.Type == FrameType.Data && f.Channel == stalled.Id).Sum(f => f.Length);
        Assert.Equal(64 * 1024, stalledBytes);
        Assert.False(pair.Connector.Disconnected.IsCompleted);
    }

    [Fact]
    public async Task The_receiver_returns_credit_as_the_application_consumes()
    {
        await using var pair = await ConnectionPair.CreateAsync(o => o.ChannelWindow = 64 * 1024);
        var send = pair.Connector.DefaultChannel.SendAsync(new byte[1_000_000]).AsTask();
        using (var message = (await pair.Listener.DefaultChannel.ReceiveAsync())!.Value)
        {
            Assert.Equal(1_000_000, message.Length);
        }

        await send;
        var credits = DecodeBatches(pair.ListenerTransport.Sent).SelectMany(b => b).Where(f => f.Type == FrameType.Credit).ToList();
        Assert.True(credits.Count >= 10, $"{credits.Count} CREDIT frames");
    }

    private static async Task DrainAsync(TetherChannel channel)
    {
        try
        {
            while (await channel.ReceiveAsync() is { } message)
            {
                message.Dispose();
            }
        }
        catch (ConnectionLostException)
        {
        }
    }

    private static List<List<FrameHeader>> DecodeBatches(IReadOnlyList<byte[]> sends)
    {
        var decoder = new FrameDecoder(16 * 1024 * 1024 - 1);
        var sink = new HeaderSink();
        var batches = new List<List<FrameHeader>>();
        foreach (var send in sends)
        {
            sink.Current = [];
            decoder.Decode(send, sink);
            batches.Add(sink.Current);
        }

        return batches;
    }

    private sealed class HeaderSink : IFrameSink
    {
        public List<FrameHeader> Current { get; set; } = [];

        public void OnHandshake(Handshake handshake)
        {
        }

        public void OnDataStart(FrameHeader header) => Current.Add(header);

        public void OnDataPayload(ReadOnlySpan<byte> payload)
        {
        }

        public void OnDataEnd()
        {
        }

        public void OnControl(FrameHeader header, ReadOnlySpan<byte> payload) => Current.Add(header);
    }
}
