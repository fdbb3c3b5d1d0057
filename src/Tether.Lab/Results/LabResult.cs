using System.Text.Json.Serialization;
using Tether.Lab.Scenarios;

namespace Tether.Lab.Results;

/// <summary>Seconds from the fault to each side's disconnect event; null where that side never noticed.</summary>
/// <param name="Client">The connecting side (the worker, namespace A).</param>
/// <param name="Server">The listening side (the coordinator, namespace B).</param>
public sealed record DetectedSeconds(
    [property: JsonPropertyName("client")] double? Client,
    [property: JsonPropertyName("server")] double? Server);

/// <summary>A transfer's bytes at a moment of the run, for the chart.</summary>
/// <param name="Seconds">Seconds since the connection was made.</param>
/// <param name="Bytes">Bytes moved so far.</param>
public sealed record ProgressSample(double Seconds, long Bytes);

/// <summary>
/// The outcome of one scenario for one contender. The JSON shape (<c>--json</c>) is exactly the issue's: the members
/// marked <see cref="JsonIgnoreAttribute"/> feed only the table and the chart.
/// </summary>
/// <param name="Scenario">The scenario's name.</param>
/// <param name="Contender">The contender's name.</param>
/// <param name="Mode"><c>netns</c> (kernel TCP in network namespaces) or <c>proxy</c> (user-space fault proxy).</param>
/// <param name="BoundSeconds">The configured dead bound, or null when the contender has none.</param>
/// <param name="Detected">Detection time per side.</param>
/// <param name="FalseDisconnects">Disconnects nothing justified: before the fault, or anywhere in a healthy scenario.</param>
/// <param name="Completed">Whether every transfer completed; null in a scenario without transfers.</param>
/// <param name="Intact">Whether every completed transfer arrived intact; null without transfers or when none completed.</param>
/// <param name="KeepaliveBytes">Bytes on the wire while the connection was idle before the fault (headers included), or null.</param>
/// <param name="Note">Free text: reasons, caveats.</param>
public sealed record LabResult(
    [property: JsonPropertyName("scenario")] string Scenario,
    [property: JsonPropertyName("contender")] string Contender,
    [property: JsonPropertyName("mode")] string Mode,
    [property: JsonPropertyName("bound_s")] double? BoundSeconds,
    [property: JsonPropertyName("detected_s")] DetectedSeconds Detected,
    [property: JsonPropertyName("false_disconnects")] int FalseDisconnects,
    [property: JsonPropertyName("completed")] bool? Completed,
    [property: JsonPropertyName("intact")] bool? Intact,
    [property: JsonPropertyName("keepalive_bytes")] long? KeepaliveBytes,
    [property: JsonPropertyName("note")] string Note)
{
    /// <summary>The table's name for the run (scenario plus variant).</summary>
    [JsonIgnore]
    public string Label { get; init; } = Scenario;

    /// <summary>The sides that must notice the fault; none in a healthy scenario, where detection does not apply.</summary>
    [JsonIgnore]
    public LabSides MustDetect { get; init; }

    /// <summary>True for a healthy scenario, where detection does not apply.</summary>
    [JsonIgnore]
    public bool Healthy => MustDetect == LabSides.None;

    /// <summary>The transfer's progress as the receiving side saw it, for the chart.</summary>
    [JsonIgnore]
    public IReadOnlyList<ProgressSample> Progress { get; init; } = [];

    /// <summary>Seconds since the connection was made at which either side disconnected, for the chart.</summary>
    [JsonIgnore]
    public IReadOnlyList<double> Disconnects { get; init; } = [];
}
