using System.Numerics;
using Tether.Pb;
using Tether.Pb.Banana;

namespace Tether.Tests.Pb;

public sealed class BananaTests
{
    private const byte BananaTypeByteString = 0x82;
    private const byte BananaTypeByteList = 0x80;
    private static readonly BigInteger LargestLongInt = (BigInteger.One << 448) - 1;

    // Bytes produced by Twisted 22.4's Banana._encode for the same values (dialect "none").
    public static TheoryData<string, object> TwistedVectors => new()
    {
        { "0081", 0L },
        { "0181", 1L },
        { "7f81", 127L },
        { "000181", 128L },
        { "7f7f7f7f0781", 2147483647L },
        { "000000000885", 2147483648L },
        { "0183", -1L },
        { "000000000883", -2147483648L },
        { "010000000886", -2147483649L },
        { "0000000000000000000285", BigInteger.Pow(2, 64) },
        { "0000000000000000000286", -BigInteger.Pow(2, 64) },
        { "843ff8000000000000", 1.5 },
        { "0082", Array.Empty<byte>() },
        { "058268656c6c6f", "hello"u8.ToArray() },
        { "0080", new List<object>() },
        { "0280018102800182610080", new List<object> { 1L, new List<object> { "a"u8.ToArray(), new List<object>() } } },
    };

    [Theory]
    [MemberData(nameof(TwistedVectors))]
    public void Encodes_and_decodes_exactly_like_Twisted(string hex, object value)
    {
        var encoder = new BananaEncoder { Dialect = BananaDialect.None };
        Assert.Equal(hex, Convert.ToHexStringLower(encoder.Encode(value)));
        var decoded = Assert.Single(BananaDecoder.DecodeAll(Convert.FromHexString(hex), BananaDialect.None));
        Assert.Equal(PbRepr.Format(value), PbRepr.Format(decoded));
        Assert.Equal(value.GetType(), decoded.GetType());
    }

    [Fact]
    public void Pb_dialect_sends_vocabulary_words_as_tokens_like_Twisted()
    {
        object value = new List<object> { "list"u8.ToArray(), "version"u8.ToArray(), "unknownword"u8.ToArray() };
        var pb = new BananaEncoder { Dialect = BananaDialect.Pb }.Encode(value);
        Assert.Equal("0380088713870b82756e6b6e6f776e776f7264", Convert.ToHexStringLower(pb));
        Assert.Equal("[b'list', b'version', b'unknownword']", PbRepr.Format(Assert.Single(BananaDecoder.DecodeAll(pb))));

        var none = new BananaEncoder { Dialect = BananaDialect.None }.Encode(new List<object> { "list"u8.ToArray() });
        Assert.Equal("018004826c697374", Convert.ToHexStringLower(none));
    }

    [Fact]
    public void Every_vocabulary_word_round_trips_as_a_one_token_string()
    {
        for (var number = 1; number <= BananaVocabulary.Count; number++)
        {
            var word = System.Text.Encoding.ASCII.GetBytes(BananaVocabulary.WordFor(number)!);
            var encoded = new BananaEncoder { Dialect = BananaDialect.Pb }.Encode(word);
            Assert.Equal([(byte)number, 0x87], encoded);
            Assert.Equal(word, Assert.Single(BananaDecoder.DecodeAll(encoded)));
        }
    }

    public static TheoryData<object> RoundTripValues => new()
    {
        0L, 1L, -1L, long.MaxValue, long.MinValue, (BigInteger)long.MaxValue + 1, (BigInteger)long.MinValue - 1,
        LargestLongInt, -LargestLongInt, 0.0, -0.0, double.NaN, double.PositiveInfinity, double.Epsilon, Math.PI,
        Array.Empty<byte>(), new byte[300], new byte[BananaOptions.DefaultSizeLimit],
        new List<object> { new List<object> { new List<object>() }, "x"u8.ToArray(), 5L, -7.25 },
    };

    [Theory]
    [MemberData(nameof(RoundTripValues))]
    public void Round_trips(object value)
    {
        var encoded = new BananaEncoder { Dialect = BananaDialect.Pb }.Encode(value);
        var decoded = Assert.Single(BananaDecoder.DecodeAll(encoded));
        Assert.Equal(PbRepr.Format(value), PbRepr.Format(decoded));
    }

    [Fact]
    public void A_stream_split_at_any_byte_decodes_identically()
    {
        var encoder = new BananaEncoder { Dialect = BananaDialect.Pb };
        object[] values =
        [
            new List<object> { "message"u8.ToArray(), 1L, "root"u8.ToArray(), LargestLongInt, -LargestLongInt, 2.5, new byte[200] },
            new List<object> { new List<object> { new List<object>(), new List<object> { -3L } } },
            "answer"u8.ToArray(),
            1e300,
        ];
        var stream = values.SelectMany(encoder.Encode).ToArray();
        var expected = values.Select(PbRepr.Format).ToList();

        for (var split = 0; split <= stream.Length; split++)
        {
            Assert.Equal(expected, DecodeInPieces(stream, split));
        }

        Assert.Equal(expected, DecodeByteByByte(stream));
    }

    [Fact]
    public void Decoding_stops_after_each_expression_so_the_dialect_can_change_between_them()
    {
        // The server's offer, the client's choice (plain string), then a vocabulary token.
        var stream = new BananaEncoder().Encode(new List<object> { "pb"u8.ToArray(), "none"u8.ToArray() })
            .Concat(new BananaEncoder().Encode("pb"u8.ToArray()))
            .Concat(new BananaEncoder { Dialect = BananaDialect.Pb }.Encode(new List<object> { "version"u8.ToArray(), 6L }))
            .ToArray();
        var decoder = new BananaDecoder();

        Assert.True(decoder.TryReadExpression(stream, out var consumed, out var offer));
        Assert.Equal("[b'pb', b'none']", PbRepr.Format(offer));
        stream = stream[consumed..];
        Assert.True(decoder.TryReadExpression(stream, out consumed, out var choice));
        Assert.Equal("b'pb'", PbRepr.Format(choice));
        stream = stream[consumed..];

        decoder.Dialect = BananaDialect.Pb;
        Assert.True(decoder.TryReadExpression(stream, out consumed, out var version));
        Assert.Equal("[b'version', 6]", PbRepr.Format(version));
        Assert.Equal(stream.Length, consumed);
        Assert.True(decoder.IsAtBoundary);
    }

    [Fact]
    public void A_prefix_of_exactly_the_limit_is_accepted_and_one_more_digit_is_refused_as_soon_as_it_arrives()
    {
        var largest = new BananaEncoder().Encode(LargestLongInt);
        Assert.Equal(65, largest.Length);
        Assert.Equal(LargestLongInt, Assert.Single(BananaDecoder.DecodeAll(largest)));

        var decoder = new BananaDecoder();
        Assert.False(decoder.TryReadExpression(new byte[64], out var consumed, out _));
        Assert.Equal(64, consumed);
        var ex = Assert.Throws<BananaException>(() => decoder.TryReadExpression(new byte[1], out _, out _));
        Assert.Contains("prefix", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Integers_beyond_the_prefix_limit_are_not_sent()
    {
        Assert.Throws<ArgumentException>(() => new BananaEncoder().Encode(LargestLongInt + 1));
        Assert.Throws<ArgumentException>(() => new BananaEncoder().Encode(-LargestLongInt - 1));
        var small = new BananaEncoder(new BananaOptions { PrefixLimit = 2 });
        Assert.Equal([0x7F, 0x7F, 0x81], small.Encode(16383));
        Assert.Throws<ArgumentException>(() => small.Encode(16384));
    }

    [Theory]
    [InlineData(BananaTypeByteString, "string")]
    [InlineData(BananaTypeByteList, "list")]
    public void A_string_or_list_announced_longer_than_the_size_limit_is_refused_before_its_body(byte typeByte, string what)
    {
        var header = new List<byte>();
        var length = BananaOptions.DefaultSizeLimit + 1;
        for (; length > 0; length >>= 7)
        {
            header.Add((byte)(length & 0x7F));
        }

        header.Add(typeByte);
        var ex = Assert.Throws<BananaException>(() => BananaDecoder.DecodeAll(header.ToArray()));
        Assert.Contains(what, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Limits_are_options()
    {
        var options = new BananaOptions { SizeLimit = 4, MaxDepth = 2 };
        Assert.Equal("b'abcd'", PbRepr.Format(Assert.Single(BananaDecoder.DecodeAll([4, 0x82, .. "abcd"u8], options: options))));
        Assert.Throws<BananaException>(() => BananaDecoder.DecodeAll([5, 0x82, .. "abcde"u8], options: options));
        Assert.Throws<ArgumentException>(() => new BananaEncoder(options).Encode(new byte[5]));
        Assert.Throws<ArgumentException>(() => new BananaEncoder(options).Encode(new List<object> { 1L, 2L, 3L, 4L, 5L }));

        Assert.Equal("[[]]", PbRepr.Format(Assert.Single(BananaDecoder.DecodeAll([1, 0x80, 0, 0x80], options: options))));
        Assert.Throws<BananaException>(() => BananaDecoder.DecodeAll([1, 0x80, 1, 0x80, 0, 0x80], options: options));
        Assert.Throws<ArgumentException>(() => new BananaEncoder(options).Encode(new List<object> { new List<object> { new List<object>() } }));
    }

    [Fact]
    public void Nesting_beyond_the_default_depth_is_refused()
    {
        var deep = Enumerable.Repeat(new byte[] { 1, 0x80 }, BananaOptions.DefaultMaxDepth + 1).SelectMany(b => b).ToArray();
        var ex = Assert.Throws<BananaException>(() => BananaDecoder.DecodeAll(deep));
        Assert.Contains("deeper", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_list_that_contains_itself_is_refused_by_the_encoder()
    {
        var list = new List<object>();
        list.Add(list);
        Assert.Throws<ArgumentException>(() => new BananaEncoder().Encode(list));
    }

    [Theory]
    [InlineData("88", "type byte")]
    [InlineData("ff", "type byte")]
    [InlineData("0087", "vocabulary")]
    [InlineData("2087", "vocabulary")]
    [InlineData("7f7f7f7f7f7f7f7f7f7f87", "vocabulary")]
    public void Malformed_tokens_are_refused(string hex, string what)
    {
        var ex = Assert.Throws<BananaException>(() => BananaDecoder.DecodeAll(Convert.FromHexString(hex)));
        Assert.Contains(what, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Vocabulary_tokens_are_refused_before_the_pb_dialect_is_chosen()
    {
        var ex = Assert.Throws<BananaException>(() => BananaDecoder.DecodeAll([8, 0x87], BananaDialect.None));
        Assert.Contains("outside the pb dialect", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_stream_that_ends_inside_an_expression_is_reported_by_DecodeAll()
    {
        Assert.Throws<BananaException>(() => BananaDecoder.DecodeAll([2, 0x80, 1, 0x81]));
        Assert.Throws<BananaException>(() => BananaDecoder.DecodeAll([5, 0x82, 1]));
    }

    [Fact]
    public void A_decoder_that_failed_refuses_further_input()
    {
        var decoder = new BananaDecoder();
        Assert.Throws<BananaException>(() => decoder.TryReadExpression([0x99], out _, out _));
        Assert.Throws<ObjectDisposedException>(() => decoder.TryReadExpression([0, 0x81], out _, out _));
    }

    [Fact]
    public void Text_and_other_non_banana_values_are_refused_by_the_encoder()
    {
        Assert.Throws<ArgumentException>(() => new BananaEncoder().Encode("text"));
        Assert.Throws<ArgumentException>(() => new BananaEncoder().Encode(true));
        Assert.Throws<ArgumentNullException>(() => new BananaEncoder().Encode(new List<object> { null! }));
    }

    [Fact]
    public void Announced_lengths_do_not_allocate_memory_the_bytes_have_not_paid_for()
    {
        // A 640 KiB string and a 640 Ki-element list announced, one body byte sent.
        byte[] stringHeader = [0x00, 0x00, 0x28, 0x82, 0x41];
        byte[] listHeader = [0x00, 0x00, 0x28, 0x80, 0x00, 0x81];
        foreach (var input in new[] { stringHeader, listHeader })
        {
            var decoder = new BananaDecoder();
            var before = GC.GetAllocatedBytesForCurrentThread();
            Assert.False(decoder.TryReadExpression(input, out _, out _));
            var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.True(allocated < 4096, $"allocated {allocated} bytes for {input.Length} input bytes");
        }
    }

    private static List<string> DecodeInPieces(byte[] stream, int split)
    {
        var decoder = new BananaDecoder { Dialect = BananaDialect.Pb };
        var results = new List<string>();
        Feed(decoder, stream.AsSpan(0, split), results);
        Feed(decoder, stream.AsSpan(split), results);
        Assert.True(decoder.IsAtBoundary);
        return results;
    }

    private static List<string> DecodeByteByByte(byte[] stream)
    {
        var decoder = new BananaDecoder { Dialect = BananaDialect.Pb };
        var results = new List<string>();
        for (var i = 0; i < stream.Length; i++)
        {
            Feed(decoder, stream.AsSpan(i, 1), results);
        }

        return results;
    }

    private static void Feed(BananaDecoder decoder, ReadOnlySpan<byte> input, List<string> results)
    {
        while (!input.IsEmpty)
        {
            if (decoder.TryReadExpression(input, out var consumed, out var expression))
            {
                results.Add(PbRepr.Format(expression));
            }

            input = input[consumed..];
        }
    }
}
