using System.Text.Json;

namespace Tether.Lab.Results;

/// <summary>Reads and writes the <c>--json</c> file: an array with one object per scenario and contender.</summary>
public static class LabJson
{
    private static readonly JsonSerializerOptions Options = new() { WriteIndented = true };

    /// <summary>Serializes the results.</summary>
    /// <param name="results">The results.</param>
    /// <returns>The JSON text.</returns>
    public static string Serialize(IEnumerable<LabResult> results) => JsonSerializer.Serialize(results.ToList(), Options);

    /// <summary>Parses a file written by <see cref="Serialize"/>.</summary>
    /// <param name="json">The JSON text.</param>
    /// <returns>The results.</returns>
    public static IReadOnlyList<LabResult> Deserialize(string json) =>
        JsonSerializer.Deserialize<List<LabResult>>(json, Options) ?? throw new JsonException("the lab results are null");
}
