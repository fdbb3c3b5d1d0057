using System.Net;
using Tether.Cli.Parsing;

namespace Tether.Tests.Cli;

public class EndpointParserTests
{
    [Theory]
    [InlineData("127.0.0.1:7000", "127.0.0.1", 7000)]
    [InlineData("0.0.0.0:1", "0.0.0.0", 1)]
    [InlineData("10.1.2.3:65535", "10.1.2.3", 65535)]
    [InlineData("[::1]:7000", "::1", 7000)]
    [InlineData("[fe80::1]:80", "fe80::1", 80)]
    [InlineData(" 127.0.0.1:7000 ", "127.0.0.1", 7000)]
    public void Parses_ip_and_port(string text, string address, int port)
    {
        Assert.True(EndpointParser.TryParse(text, allowPortZero: false, out var endpoint, out var error), error);
        Assert.Equal(new IPEndPoint(IPAddress.Parse(address), port), endpoint);
    }

    [Fact]
    public void Port_zero_only_when_allowed()
    {
        Assert.True(EndpointParser.TryParse("127.0.0.1:0", allowPortZero: true, out var endpoint, out _));
        Assert.Equal(0, endpoint.Port);
        Assert.False(EndpointParser.TryParse("127.0.0.1:0", allowPortZero: false, out _, out var error));
        Assert.Contains("port", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData(null)]
    [InlineData("127.0.0.1")]
    [InlineData("127.0.0.1:")]
    [InlineData(":7000")]
    [InlineData("localhost:7000")]
    [InlineData("127.0.0.1:65536")]
    [InlineData("127.0.0.1:-1")]
    [InlineData("127.0.0.1:+80")]
    [InlineData("127.0.0.1:80x")]
    [InlineData("::1:7000")]
    [InlineData("[::1]")]
    [InlineData("[::1]7000")]
    [InlineData("[127.0.0.1:7000")]
    [InlineData("300.1.1.1:80")]
    public void Rejects_invalid_endpoints(string? text)
    {
        Assert.False(EndpointParser.TryParse(text, allowPortZero: true, out var endpoint, out var error));
        Assert.Null(endpoint);
        Assert.False(string.IsNullOrWhiteSpace(error));
    }
}
