using System.Security.Cryptography;
using System.Text;
using Tether.Cli.Peer;

namespace Tether.Tests.Cli;

public class PeerProtocolTests
{
    [Fact]
    public void Control_messages_round_trip()
    {
        var messages = new[]
        {
            new ControlMessage(ControlMessage.DownloadOp, Bytes: 3 * 1024 * 1024),
            new ControlMessage(ControlMessage.TransferOp, PeerProtocol.Upload, 5),
            new ControlMessage(ControlMessage.SentOp, PeerProtocol.Download, long.MaxValue, new string('a', 64)),
            new ControlMessage(ControlMessage.ReceivedOp, PeerProtocol.Upload, 0, new string('f', 64)),
            ControlMessage.Error("no \"quotes\" or ünïcode trouble"),
        };
        foreach (var message in messages)
        {
            Assert.True(PeerProtocol.TryDecode(PeerProtocol.Encode(message), out var decoded));
            Assert.Equal(message, decoded);
        }
    }

    [Fact]
    public void Encodes_compact_json()
    {
        Assert.Equal(
            "{\"op\":\"download\",\"bytes\":1024}",
            Encoding.UTF8.GetString(PeerProtocol.Encode(new ControlMessage(ControlMessage.DownloadOp, Bytes: 1024))));
    }

    [Theory]
    [InlineData("")]
    [InlineData("hello")]
    [InlineData("[]")]
    [InlineData("{}")]
    [InlineData("{\"op\":5}")]
    [InlineData("{\"op\":\"download\"")]
    [InlineData("{\"op\":\"download\"} trailing")]
    [InlineData("{\"op\":\"download\"}{\"op\":\"download\"}")]
    public void Anything_else_is_not_a_control_message(string text)
    {
        Assert.False(PeerProtocol.TryDecode(Encoding.UTF8.GetBytes(text), out _));
    }

    [Fact]
    public void Ignores_unknown_members_and_wrong_types()
    {
        Assert.True(PeerProtocol.TryDecode("{\"x\":{\"y\":[1,2]},\"op\":\"download\",\"bytes\":\"7\"}"u8, out var message));
        Assert.Equal(new ControlMessage(ControlMessage.DownloadOp), message);
    }

    [Fact]
    public void Rejects_control_messages_over_the_limit()
    {
        var big = Encoding.UTF8.GetBytes($"{{\"op\":\"error\",\"message\":\"{new string('x', PeerProtocol.MaxControlMessageBytes)}\"}}");
        Assert.False(PeerProtocol.TryDecode(big, out _));
    }

    [Fact]
    public void Payload_is_deterministic_whatever_the_read_sizes()
    {
        const int length = 100_003;
        var whole = new byte[length];
        using (var stream = new PseudoRandomStream(length, PeerProtocol.UploadSeed))
        {
            Assert.Equal(length, stream.Read(whole));
            Assert.Equal(0, stream.Read(new byte[10]));
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(whole)), stream.Sha256);
        }

        var pieces = new MemoryStream();
        using (var stream = new PseudoRandomStream(length, PeerProtocol.UploadSeed))
        {
            var sizes = new[] { 1, 7, 8, 3, 4096, 13, 65536 };
            var buffer = new byte[65536];
            for (var i = 0; ; i++)
            {
                var read = stream.Read(buffer, 0, sizes[i % sizes.Length]);
                if (read == 0)
                {
                    break;
                }

                pieces.Write(buffer, 0, read);
            }
        }

        Assert.Equal(whole, pieces.ToArray());
    }

    [Theory]
    [InlineData(1000, PeerProtocol.UploadSeed, "931cbc65e8ed44d1483eb35b8818bf4d3f22d9bf2149295bb13803e198828ddd")]
    [InlineData(3, 0UL, "728641353d34108935c92f45b4807ba4c105777464b8db214c3177fbf0f91d3a")]
    [InlineData(5 * 1024 * 1024, PeerProtocol.UploadSeed, "456a4b6473c3e4d49ac4030653cd850e48ba647dd6bef68e003a9513553a87ec")]
    public void Payload_matches_the_documented_generator(int length, ulong seed, string sha256)
    {
        // Reference values from an independent implementation (splitmix64 seeding, xorshift64*, little-endian words).
        using var stream = new PseudoRandomStream(length, seed);
        stream.CopyTo(Stream.Null);
        Assert.Equal(sha256, stream.Sha256);
    }

    [Fact]
    public void Payload_depends_on_the_seed_and_reports_progress()
    {
        var reported = new List<long>();
        using var upload = new PseudoRandomStream(64, PeerProtocol.UploadSeed, reported.Add);
        using var download = new PseudoRandomStream(64, PeerProtocol.DownloadSeed);
        var a = new byte[100];
        var b = new byte[64];
        Assert.Equal(40, upload.Read(a, 0, 40));
        Assert.Equal(24, upload.Read(a, 40, 60)); // only 24 bytes are left
        Assert.Equal(64, download.Read(b));
        Assert.NotEqual(a[..64], b);
        Assert.Equal([40L, 64L], reported);
        Assert.NotEqual(upload.Sha256, download.Sha256);
    }

    [Fact]
    public void Hash_is_not_available_before_the_end()
    {
        using var stream = new PseudoRandomStream(10, 1);
        stream.ReadExactly(new byte[5]);
        Assert.Throws<InvalidOperationException>(() => stream.Sha256);
    }
}
