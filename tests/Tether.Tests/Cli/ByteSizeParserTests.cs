using Tether.Cli.Parsing;

namespace Tether.Tests.Cli;

public class ByteSizeParserTests
{
    [Theory]
    [InlineData("123", 123L)]
    [InlineData("0", 0L)]
    [InlineData("123B", 123L)]
    [InlineData("64KB", 64L * 1024)]
    [InlineData("800KB", 800L * 1024)]
    [InlineData("2MB", 2L * 1024 * 1024)]
    [InlineData("1GB", 1024L * 1024 * 1024)]
    [InlineData("1TB", 1024L * 1024 * 1024 * 1024)]
    [InlineData("64K", 64L * 1024)]
    [InlineData("2M", 2L * 1024 * 1024)]
    [InlineData("1G", 1024L * 1024 * 1024)]
    [InlineData("64KiB", 64L * 1024)]
    [InlineData("2MiB", 2L * 1024 * 1024)]
    [InlineData("1GiB", 1024L * 1024 * 1024)]
    [InlineData("64kb", 64L * 1024)]
    [InlineData("2mib", 2L * 1024 * 1024)]
    [InlineData("64 KB", 64L * 1024)]
    [InlineData(" 2MB ", 2L * 1024 * 1024)]
    [InlineData("1.5KB", 1536L)]
    [InlineData("0.5MB", 512L * 1024)]
    public void Parses_valid_sizes(string text, long expected)
    {
        Assert.True(ByteSizeParser.TryParse(text, out var value, out var error), error);
        Assert.Null(error);
        Assert.Equal(expected, value);
        Assert.Equal(expected, ByteSizeParser.Parse(text));
    }

    [Fact]
    public void Kilobyte_is_1024_bytes()
    {
        Assert.Equal(1024, ByteSizeParser.Parse("1KB"));
        Assert.Equal(ByteSizeParser.Parse("1KiB"), ByteSizeParser.Parse("1KB"));
        Assert.Equal(1024 * 1024, ByteSizeParser.Parse("1MB"));
    }

    [Fact]
    public void Accepts_up_to_long_MaxValue()
    {
        Assert.Equal(long.MaxValue, ByteSizeParser.Parse(long.MaxValue.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Equal(7168L << 40, ByteSizeParser.Parse("7168TB"));
    }

    [Theory]
    [InlineData("")]
    [InlineData(null)]
    [InlineData("KB")]
    [InlineData("-1")]
    [InlineData("-64KB")]
    [InlineData("+64KB")]
    [InlineData("5XB")]
    [InlineData("5KBB")]
    [InlineData("5Kib2")]
    [InlineData("1.2.3MB")]
    [InlineData("0.1KB")]      // 102.4 bytes is not a whole number
    [InlineData("1.5")]        // 1.5 bytes
    [InlineData("1e3")]
    [InlineData("8EiB")]
    [InlineData("64 K B")]
    [InlineData("9223372036854775808")]
    [InlineData("8388608TB")]  // 2^63 bytes
    [InlineData("99999999999999999999999999999999TB")]
    public void Rejects_invalid_sizes(string? text)
    {
        Assert.False(ByteSizeParser.TryParse(text, out _, out var error));
        Assert.False(string.IsNullOrWhiteSpace(error));
    }

    [Fact]
    public void Parse_throws_FormatException_with_the_reason()
    {
        var e = Assert.Throws<FormatException>(() => ByteSizeParser.Parse("0.1KB"));
        Assert.Contains("whole number of bytes", e.Message, StringComparison.Ordinal);
    }
}
