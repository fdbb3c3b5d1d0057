using System.Text.Json;
using Tether.Functional.Tests.Infrastructure;
using Tether.Pb;
using Tether.Pb.Banana;
using Xunit.Abstractions;

namespace Tether.Functional.Tests.Pb;

/// <summary>
/// Jelly and banana against the real thing: Twisted's Broker serializes the catalogue in
/// Scripts/pb_jelly_catalogue.py and Tether reads it; Tether serializes the same catalogue and Twisted
/// reads it with PB's default security.
/// </summary>
public sealed class JellyInteropTests(ITestOutputHelper output)
{
    private const string Script = "pb_jelly_catalogue.py";

    [SkippableFact]
    public async Task Values_serialized_by_Twisted_unserialize_to_the_expected_dotnet_values()
    {
        var python = TwistedPython.Require("jelly interop with Twisted");
        var emitted = await EmitAsync(python);
        var catalogue = JellyCatalogue.Values();
        Assert.Equal(catalogue.Keys.Order(), emitted.Keys.Order());

        var jelly = JellyCatalogue.Serializer();
        var mismatches = new List<string>();
        foreach (var (name, bytes) in emitted)
        {
            var value = jelly.Unjelly(Assert.Single(BananaDecoder.DecodeAll(bytes)));
            if (!JellyCatalogue.Equivalent(JellyCatalogue.Expected(catalogue[name]), value))
            {
                mismatches.Add($"{name}: got {PbRepr.Format(value)}");
            }
        }

        Assert.Empty(mismatches);

        var shared = Assert.IsType<List<object?>>(jelly.Unjelly(Assert.Single(BananaDecoder.DecodeAll(emitted["shared"]))));
        Assert.Same(shared[0], shared[1]);
        var cyclic = Assert.IsType<List<object?>>(jelly.Unjelly(Assert.Single(BananaDecoder.DecodeAll(emitted["cyclic_list"]))));
        Assert.Same(cyclic, cyclic[1]);
    }

    [SkippableFact]
    public async Task Values_serialized_by_Tether_unserialize_in_Twisted_to_the_expected_Python_values()
    {
        var python = TwistedPython.Require("jelly interop with Twisted");
        var jelly = JellyCatalogue.Serializer();
        var encoder = new BananaEncoder { Dialect = BananaDialect.Pb };
        var lines = JellyCatalogue.Values().Select(pair => JsonSerializer.Serialize(new
        {
            name = pair.Key,
            hex = Convert.ToHexStringLower(encoder.Encode(jelly.Jelly(pair.Value))),
        }));

        var result = await ProcessRunner.RunAsync(python, [TwistedPython.Script(Script), "check"], standardInput: string.Join('\n', lines) + "\n");

        var verdicts = ParseLines(result.Stdout).ToList();
        Assert.Equal(JellyCatalogue.Values().Count, verdicts.Count);
        foreach (var verdict in verdicts)
        {
            output.WriteLine(verdict.ToString());
        }

        var failures = verdicts.Where(v => !v.GetProperty("ok").GetBoolean())
            .Select(v => $"{v.GetProperty("name").GetString()}: Twisted got {v.GetProperty("repr").GetString()}")
            .ToList();
        Assert.Empty(failures);
    }

    [SkippableFact]
    public async Task Tether_writes_the_same_bytes_as_Twisted_wherever_Twisted_has_one_order()
    {
        var python = TwistedPython.Require("jelly interop with Twisted");
        var emitted = await EmitAsync(python);
        var jelly = JellyCatalogue.Serializer();
        var encoder = new BananaEncoder { Dialect = BananaDialect.Pb };
        var values = JellyCatalogue.Values();

        var differences = JellyCatalogue.ByteExact
            .Select(name => (name, ours: Convert.ToHexStringLower(encoder.Encode(jelly.Jelly(values[name]))), theirs: Convert.ToHexStringLower(emitted[name])))
            .Where(entry => entry.ours != entry.theirs)
            .Select(entry => $"{entry.name}: Tether {entry.ours} Twisted {entry.theirs}")
            .ToList();
        Assert.Empty(differences);
    }

    private async Task<Dictionary<string, byte[]>> EmitAsync(string python)
    {
        var result = await ProcessRunner.RunAsync(python, [TwistedPython.Script(Script), "emit"]);
        output.WriteLine($"Twisted {TwistedPython.Version} at {python}");
        return ParseLines(result.Stdout).ToDictionary(
            line => line.GetProperty("name").GetString()!,
            line => Convert.FromHexString(line.GetProperty("hex").GetString()!));
    }

    private static IEnumerable<JsonElement> ParseLines(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => JsonDocument.Parse(line).RootElement.Clone());
}
