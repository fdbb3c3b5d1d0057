using System.Text;
using System.Text.Json;
using Tether.Cli.Output;

namespace Tether.Tests.Cli;

public class JsonLinesWriterTests
{
    [Fact]
    public void Writes_one_object_per_line_with_t_and_event_first()
    {
        using var stream = new MemoryStream();
        using (var writer = new JsonLinesWriter(stream, () => 2.0))
        {
            writer.Emit("listening", w => w.WriteString("endpoint", "127.0.0.1:7000"));
            writer.Emit("holding");
        }

        var text = Encoding.UTF8.GetString(stream.ToArray());
        Assert.Equal(
            "{\"t\":2.000000,\"event\":\"listening\",\"endpoint\":\"127.0.0.1:7000\"}\n{\"t\":2.000000,\"event\":\"holding\"}\n",
            text);
    }

    [Fact]
    public void Seconds_are_always_written_with_a_fraction()
    {
        using var stream = new MemoryStream();
        using (var writer = new JsonLinesWriter(stream, () => 0))
        {
            writer.Emit("x", w =>
            {
                JsonLinesWriter.WriteSeconds(w, "a", 3);
                JsonLinesWriter.WriteSeconds(w, "b", 0.0004, decimals: 3);
                JsonLinesWriter.WriteSeconds(w, "c", double.NaN);
            });
        }

        using var json = JsonDocument.Parse(stream.ToArray());
        Assert.Equal("{\"t\":0.000000,\"event\":\"x\",\"a\":3.000,\"b\":0.000,\"c\":null}", Encoding.UTF8.GetString(stream.ToArray()).TrimEnd('\n'));
        Assert.Equal(3.0, json.RootElement.GetProperty("a").GetDouble());
    }

    [Fact]
    public void Lines_from_many_threads_never_interleave()
    {
        using var stream = new MemoryStream();
        using (var writer = new JsonLinesWriter(stream, () => 1.5))
        {
            Parallel.For(0, 2000, i => writer.Emit("progress", w =>
            {
                w.WriteNumber("i", i);
                w.WriteString("pad", new string('x', i % 300));
            }));
        }

        var lines = Encoding.UTF8.GetString(stream.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2000, lines.Length);
        var seen = new HashSet<int>();
        foreach (var line in lines)
        {
            using var json = JsonDocument.Parse(line);
            Assert.Equal("progress", json.RootElement.GetProperty("event").GetString());
            Assert.True(seen.Add(json.RootElement.GetProperty("i").GetInt32()));
        }
    }

    [Fact]
    public void A_broken_output_drops_events_instead_of_throwing()
    {
        var stream = new MemoryStream();
        using var writer = new JsonLinesWriter(stream, () => 0);
        stream.Dispose();
        writer.Emit("x");
        writer.Emit("y");
    }

    [Fact]
    public void Process_clock_counts_from_process_start()
    {
        var clock = JsonLinesWriter.ProcessClock();
        var first = clock();
        Assert.True(first > 0, "the process started before this test ran");
        Assert.True(clock() >= first);
    }
}
