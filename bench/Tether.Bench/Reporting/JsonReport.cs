using System.Text.Json;

namespace Tether.Bench.Reporting;

/// <summary>Writes a mode's results, with the machine they were measured on, as indented JSON.</summary>
internal static class JsonReport
{
    private static readonly JsonSerializerOptions Options = new() { WriteIndented = true };

    public static async Task WriteAsync<T>(string? path, string mode, T results)
    {
        if (path is null)
        {
            return;
        }

        await WriteRawAsync(path, new { Mode = mode, Machine = MachineInfo.Current, Results = results });
    }

    /// <summary>Writes <paramref name="value"/> alone, in the shape its type gives (the JSON the issue fixes).</summary>
    public static async Task WriteRawAsync<T>(string? path, T value)
    {
        if (path is null)
        {
            return;
        }

        await using var file = File.Create(path);
        await JsonSerializer.SerializeAsync(file, value, Options);
        Console.WriteLine($"JSON written to {Path.GetFullPath(path)}");
    }
}
