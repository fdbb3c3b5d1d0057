using Tether.Pb;
using Tether.Pb.Banana;
using Tether.Pb.Jelly;
using Tether.Pb.Protocol;

namespace Tether.Tests.Pb;

public sealed class PbMessageCodecTests
{
    private static readonly JellySerializer Jelly = new();

    // Bytes of Twisted 22.4's Broker.sendCall for the same messages (pb dialect).
    public static TheoryData<string, PbMessage> TwistedMessages => new()
    {
        {
            "07801a8701810482726f6f7404826563686f018103800b87018102800782756e69636f646501827802800587028002800782756e69636f646501826b0281",
            new PbCall(1, PbObjectId.Root, "echo", true, Jelly.Jelly(new PbTuple(1L, "x")), Jelly.Jelly(new Dictionary<string, object?> { ["k"] = 2L }))
        },
        {
            "07801987078103810682757064617465008101800b8701800587",
            new PbCall(7, PbObjectId.FromNumber(3), "update", false, Jelly.Jelly(new PbTuple()), Jelly.Jelly(new Dictionary<string, object?>()), ToCache: true)
        },
        { "02801d870581", new PbDecRef(PbObjectId.FromNumber(5)) },
        { "028013870681", new PbVersion(6) },
    };

    [Theory]
    [MemberData(nameof(TwistedMessages))]
    public void Messages_match_Twisted_byte_for_byte(string hex, PbMessage message)
    {
        var encoder = new BananaEncoder { Dialect = BananaDialect.Pb };
        Assert.Equal(hex, Convert.ToHexStringLower(encoder.Encode(PbMessageCodec.Encode(message))));

        var decoded = PbMessageCodec.Decode(Assert.Single(BananaDecoder.DecodeAll(Convert.FromHexString(hex))));
        Assert.Equal(PbRepr.Format(PbMessageCodec.Encode(message)), PbRepr.Format(PbMessageCodec.Encode(decoded)));
        Assert.Equal(message.GetType(), decoded.GetType());
    }

    public static TheoryData<PbMessage> AllKinds => new()
    {
        new PbAnswer(3, Jelly.Jelly("ok")),
        new PbError(4, Jelly.Jelly(new PbFailure("builtins.ValueError", "no"))),
        new PbDecache(8),
        new PbUncache(8),
        new PbDidNotUnderstand("frobnicate"),
        new PbDecRef(PbObjectId.FromName("named")),
    };

    [Theory]
    [MemberData(nameof(AllKinds))]
    public void Every_kind_round_trips(PbMessage message)
    {
        var encoder = new BananaEncoder { Dialect = BananaDialect.Pb };
        var decoded = PbMessageCodec.Decode(Assert.Single(BananaDecoder.DecodeAll(encoder.Encode(PbMessageCodec.Encode(message)))));
        Assert.Equal(PbRepr.Format(PbMessageCodec.Encode(message)), PbRepr.Format(PbMessageCodec.Encode(decoded)));
    }

    [Fact]
    public void An_unknown_command_is_reported_not_rejected()
    {
        var decoded = PbMessageCodec.Decode(PythonLiteral.Parse("[b'frobnicate', 1, b'x']"));
        var unknown = Assert.IsType<PbUnknownCommand>(decoded);
        Assert.Equal("frobnicate", unknown.Command);
        Assert.Equal(2, unknown.Arguments.Count);
        Assert.Throws<ArgumentException>(() => PbMessageCodec.Encode(unknown));
    }

    [Theory]
    [InlineData("b'answer'")]
    [InlineData("[]")]
    [InlineData("[1]")]
    [InlineData("[b'version']")]
    [InlineData("[b'version', 6, 7]")]
    [InlineData("[b'answer', b'1', 2]")]
    [InlineData("[b'message', 1, b'root', b'echo', 1, [b'tuple']]")]
    [InlineData("[b'message', 1, 2.5, b'echo', 1, [b'tuple'], [b'dictionary']]")]
    [InlineData("[b'message', 1, b'root', b'\\xff', 1, [b'tuple'], [b'dictionary']]")]
    [InlineData("[b'decref', [b'list']]")]
    [InlineData("[b'decache', 100000000000000000000]")]
    public void Malformed_messages_are_protocol_violations(string expression)
    {
        Assert.ThrowsAny<PbProtocolException>(() => PbMessageCodec.Decode(PythonLiteral.Parse(expression)));
    }

    [Fact]
    public void The_login_response_is_Twisteds_double_md5()
    {
        // pb.respond(b"0123456789abcdef", b"secret") in Twisted 22.4.
        Assert.Equal("fb654aad50303a26b539858afb969f27", Convert.ToHexStringLower(PbCredentials.Respond("0123456789abcdef"u8, "secret"u8)));
        Assert.Equal("fb654aad50303a26b539858afb969f27", Convert.ToHexStringLower(PbCredentials.RespondWithDigest("0123456789abcdef"u8, PbCredentials.Digest("secret"u8))));
    }
}
