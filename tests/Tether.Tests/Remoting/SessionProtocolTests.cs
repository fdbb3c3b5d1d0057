using System.Buffers;
using Nerdbank.MessagePack;
using Tether.Internal;
using Tether.Protocol;
using Tether.Remoting;
using Tether.Tests.Infrastructure;

namespace Tether.Tests.Remoting;

/// <summary>
/// A session fed raw remoting messages by a hand-driven peer (in-memory transports, fake clock): broken envelopes end
/// the connection as a protocol violation; bad values inside a well-formed message only fail that message.
/// </summary>
public sealed class SessionProtocolTests
{
    public interface IGreeter : IReferenceable
    {
        Task<string> HelloAsync(string name);

        Task<string> RepeatAsync(string name, int times);
    }

    [Theory]
    [InlineData(new byte[] { 0xc1 }, "malformed remoting message")]
    [InlineData(new byte[] { 0x92, 0x63, 0x01 }, "unknown remoting message kind 99")]
    [InlineData(new byte[] { 0x92, 0x01, 0x01 }, "has 2 fields, expected 5")]
    [InlineData(new byte[] { 0x95, 0x01, 0xa1, 0x78, 0x00, 0xa1, 0x78, 0x90 }, "malformed remoting message")]
    public async Task BrokenEnvelopeEndsTheConnectionAsAProtocolViolation(byte[] message, string detail)
    {
        await using var pair = await ConnectionPair.CreateAsync();
        var session = TetherSession.Start(pair.Listener, root: new Greeter());
        await pair.Connector.DefaultChannel.SendAsync(message);
        var ended = await Eventually.CompletesAsync(session.Disconnected, "the session to end");
        Assert.Equal(DisconnectReason.ProtocolViolation, ended.Reason);
        Assert.Contains(detail, ended.Detail, StringComparison.Ordinal);
        var peerSaw = await Eventually.CompletesAsync(pair.Connector.Disconnected, "the peer to hear why");
        Assert.Contains(detail, peerSaw.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BadValuesAndUnknownTargetsGetErrorsAndTheSessionStaysUp()
    {
        await using var pair = await ConnectionPair.CreateAsync();
        var session = TetherSession.Start(pair.Listener, root: new Greeter());

        await SendCallAsync(pair, callId: 1, target: 7, "Hello", "x");
        Assert.Equal((3, 1u, "Tether.NoSuchObject"), await ReceiveErrorAsync(pair));

        await SendCallAsync(pair, callId: 2, target: 0, "Hello", 42);
        Assert.Equal((3, 2u, "Tether.Protocol.TetherSerializationException"), await ReceiveErrorAsync(pair));

        await SendCallAsync(pair, callId: 3, target: 0, "Hello", "ada");
        var answer = await ReceiveAsync(pair);
        var reader = new MessagePackReader(answer);
        Assert.Equal(3, reader.ReadArrayHeader());
        Assert.Equal(2, reader.ReadByte());
        Assert.Equal(3u, reader.ReadUInt32());
        Assert.Equal("hello ada", reader.ReadString());
        Assert.True(session.IsConnected);
    }

    [Fact]
    public async Task A_call_whose_scalar_argument_is_cut_off_is_refused_and_the_session_stays_up()
    {
        await using var pair = await ConnectionPair.CreateAsync();
        var session = TetherSession.Start(pair.Listener, root: new Greeter());

        // [CALL, 4, root, "Repeat", [2 arguments: "ada", and nothing where the int should be]]
        using var buffer = new PooledBufferWriter();
        var writer = new MessagePackWriter(buffer);
        writer.WriteArrayHeader(5);
        writer.Write((byte)1);
        writer.Write(4u);
        writer.Write(0u);
        writer.Write("Repeat");
        writer.WriteArrayHeader(2);
        writer.Write("ada");
        writer.Flush();
        await pair.Connector.DefaultChannel.SendAsync(buffer.WrittenMemory);

        Assert.Equal((3, 4u, "Tether.Protocol.TetherSerializationException"), await ReceiveErrorAsync(pair));
        Assert.True(session.IsConnected);
    }

    [Fact]
    public async Task A_call_larger_than_the_peer_accepts_fails_alone_and_later_calls_get_their_own_answers()
    {
        await using var pair = await ConnectionPair.CreateAsync(o => o.MaxMessageSize = 1024);
        TetherSession.Start(pair.Listener, root: new Greeter());
        var greeter = TetherSession.Start(pair.Connector).Root.As<IGreeter>();

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => greeter.HelloAsync(new string('x', 4096)));

        // The refused message's buffer went back to the session's pool; the calls that reuse it must not see each other.
        var names = Enumerable.Range(0, 32).Select(i => $"caller {i}").ToArray();
        var answers = await Eventually.CompletesAsync(Task.WhenAll(names.Select(greeter.HelloAsync)), "the calls after it");
        Assert.Equal(names.Select(n => $"hello {n}"), answers);
    }

    [Fact]
    public async Task A_call_too_large_to_send_leaves_no_export_of_the_objects_it_carried()
    {
        await using var pair = await ConnectionPair.CreateAsync(o => o.MaxMessageSize = 1024);
        TetherSession.Start(pair.Listener, root: new Greeter());
        var session = TetherSession.Start(pair.Connector);
        var exportsBefore = session.GetStatistics().Exports;

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => session.Root.CallAsync<string>("Hello", new Greeter(), new string('x', 4096)));
        Assert.Equal(exportsBefore, session.GetStatistics().Exports);
    }

    private static async Task SendCallAsync(ConnectionPair pair, uint callId, uint target, string method, object argument)
    {
        using var buffer = new PooledBufferWriter();
        var writer = new MessagePackWriter(buffer);
        writer.WriteArrayHeader(5);
        writer.Write((byte)1);
        writer.Write(callId);
        writer.Write(target);
        writer.Write(method);
        new ValueWriter(new TypeRegistry(), null, 64).WriteArray(ref writer, new object?[] { argument });
        writer.Flush();
        await pair.Connector.DefaultChannel.SendAsync(buffer.WrittenMemory);
    }

    private static async Task<(byte Kind, uint CallId, string Type)> ReceiveErrorAsync(ConnectionPair pair)
    {
        var message = await ReceiveAsync(pair);
        var reader = new MessagePackReader(message);
        reader.ReadArrayHeader();
        return (reader.ReadByte(), reader.ReadUInt32(), reader.ReadString()!);
    }

    private static async Task<ReadOnlySequence<byte>> ReceiveAsync(ConnectionPair pair)
    {
        using var message = (await Eventually.CompletesAsync(pair.Connector.DefaultChannel.ReceiveAsync().AsTask(), "a reply"))!.Value;
        return new ReadOnlySequence<byte>(message.ToArray());
    }

    private sealed class Greeter : IGreeter
    {
        public Task<string> HelloAsync(string name) => Task.FromResult($"hello {name}");

        public Task<string> RepeatAsync(string name, int times) => Task.FromResult(string.Concat(Enumerable.Repeat(name, times)));
    }
}
