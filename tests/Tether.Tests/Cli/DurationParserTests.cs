using Tether.Cli.Parsing;

namespace Tether.Tests.Cli;

public class DurationParserTests
{
    [Theory]
    [InlineData("250ms", 250)]
    [InlineData("3s", 3_000)]
    [InlineData("2m", 120_000)]
    [InlineData("1h", 3_600_000)]
    [InlineData("0", 0)]
    [InlineData("0s", 0)]
    [InlineData("5", 5_000)]
    [InlineData("0.25", 250)]
    [InlineData("1.5s", 1_500)]
    [InlineData(".5s", 500)]
    [InlineData("1m30s", 90_000)]
    [InlineData("2s500ms", 2_500)]
    [InlineData("1h2m3s4ms", 3_723_004)]
    [InlineData("3S", 3_000)]
    [InlineData("250MS", 250)]
    [InlineData("  3s  ", 3_000)]
    [InlineData("0.1s", 100)]
    public void Parses_valid_durations(string text, long expectedMilliseconds)
    {
        Assert.True(DurationParser.TryParse(text, out var value, out var error), error);
        Assert.Null(error);
        Assert.Equal(TimeSpan.FromMilliseconds(expectedMilliseconds), value);
        Assert.Equal(value, DurationParser.Parse(text));
    }

    [Fact]
    public void Keeps_sub_millisecond_precision_and_rounds_to_ticks()
    {
        Assert.Equal(TimeSpan.FromTicks(15_000), DurationParser.Parse("1.5ms"));
        Assert.Equal(TimeSpan.FromTicks(2), DurationParser.Parse("0.00000015")); // 1.5 ticks rounds away from zero
        Assert.Equal(TimeSpan.FromTicks(1), DurationParser.Parse("0.00000012"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData(null)]
    [InlineData("-1s")]
    [InlineData("-5")]
    [InlineData("+5s")]
    [InlineData("s")]
    [InlineData("ms")]
    [InlineData("3x")]
    [InlineData("3 s")]
    [InlineData("3sec")]
    [InlineData("1d")]
    [InlineData("1.2.3s")]
    [InlineData("1e3")]
    [InlineData("3s5")]
    [InlineData("abc")]
    [InlineData("1,5s")]
    public void Rejects_invalid_durations(string? text)
    {
        Assert.False(DurationParser.TryParse(text, out _, out var error));
        Assert.False(string.IsNullOrWhiteSpace(error));
    }

    [Fact]
    public void Rejects_durations_beyond_TimeSpan()
    {
        Assert.False(DurationParser.TryParse("99999999999999h", out _, out var error));
        Assert.Contains("too long", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_throws_FormatException_with_the_reason()
    {
        var e = Assert.Throws<FormatException>(() => DurationParser.Parse("3x"));
        Assert.Contains("unknown unit 'x'", e.Message, StringComparison.Ordinal);
    }
}
