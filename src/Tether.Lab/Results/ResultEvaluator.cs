using System.Globalization;
using System.Text.Json.Nodes;
using Tether.Lab.Netns;
using Tether.Lab.Scenarios;

namespace Tether.Lab.Results;

/// <summary>What the lab saw during one run, on the lab's clock (<see cref="JsonLinesProcess.Now"/>).</summary>
/// <param name="Client">The client's events, each with its arrival time (<see cref="JsonLinesProcess.ArrivalKey"/>).</param>
/// <param name="Server">The server's events, likewise.</param>
/// <param name="ConnectedAt">When the client reported the connection.</param>
/// <param name="FaultAt">When the fault was injected; null when none was.</param>
/// <param name="KeepaliveBytes">Bytes on the wire during the idle window, or null.</param>
/// <param name="Remarks">What the lab itself has to say (a deadline missed, a process that died).</param>
public sealed record RunObservation(
    IReadOnlyList<JsonObject> Client,
    IReadOnlyList<JsonObject> Server,
    double ConnectedAt,
    double? FaultAt,
    long? KeepaliveBytes,
    IReadOnlyList<string> Remarks);

/// <summary>Turns a run's events into a <see cref="LabResult"/>: detection times, false disconnects, transfer outcome.</summary>
public static class ResultEvaluator
{
    /// <summary>The reasons of an orderly end in a healthy run: the client closes, the server sees it.</summary>
    private const string ClientOrderly = "local_close";
    private const string ServerOrderly = "peer_closed";

    /// <summary>Evaluates one run.</summary>
    /// <param name="scenario">The scenario.</param>
    /// <param name="contender">The contender's name.</param>
    /// <param name="hasBound">Whether the contender was configured with the bound.</param>
    /// <param name="mode"><c>netns</c> or <c>proxy</c>.</param>
    /// <param name="run">What was seen.</param>
    /// <returns>The result.</returns>
    public static LabResult Evaluate(LabScenario scenario, string contender, bool hasBound, string mode, RunObservation run)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        ArgumentNullException.ThrowIfNull(run);
        var client = FirstDisconnect(run.Client);
        var server = FirstDisconnect(run.Server);

        DetectedSeconds detected = new(null, null);
        int falseDisconnects;
        if (scenario.IsHealthy)
        {
            // A side's end is orderly only if the client closed by itself and the server saw exactly that.
            var clientFalse = client is not null && client.Value.Reason != ClientOrderly;
            var serverFalse = server is not null && (clientFalse || server.Value.Reason != ServerOrderly);
            falseDisconnects = (clientFalse ? 1 : 0) + (serverFalse ? 1 : 0);
        }
        else
        {
            var faultAt = run.FaultAt ?? double.PositiveInfinity;
            falseDisconnects = new[] { client, server }.Count(d => d is not null && d.Value.At < faultAt);
            detected = new(After(client, faultAt), After(server, faultAt));
        }

        var (completed, intact) = Transfers(scenario, run.Client);
        var notes = new List<string>();
        if (client is not null || server is not null)
        {
            notes.Add($"client {client?.Reason ?? "-"}, server {server?.Reason ?? "-"}");
        }

        // The physics beside the bound: how long a plain flow went silent on this very (shaped) link.
        notes.AddRange(run.Client.Concat(run.Server).Where(e => scenario.Link is not null && JsonLinesProcess.EventNameOf(e) == "completed" && e["longest_silence_s"] is not null)
            .Select(e => string.Create(CultureInfo.InvariantCulture, $"longest inbound silence {e["longest_silence_s"]!.GetValue<double>():0.0} s")));
        notes.AddRange(run.Remarks);

        return new LabResult(
            scenario.Name,
            contender,
            mode,
            hasBound ? scenario.Bound.TotalSeconds : null,
            detected,
            falseDisconnects,
            completed,
            intact,
            scenario.IdleWindowMeasured ? run.KeepaliveBytes : null,
            string.Join("; ", notes.Prepend(scenario.Variant is { } v ? $"router answers with {(v == "rst" ? "a reset" : "silence")}" : null).OfType<string>()))
        {
            Label = scenario.Label,
            MustDetect = scenario.MustDetect,
            Progress = Progress(scenario.Upload is null ? run.Client : run.Server, run.ConnectedAt),
            Disconnects = new[] { client, server }.OfType<(double At, string Reason)>().Select(d => Math.Round(d.At - run.ConnectedAt, 3)).ToList(),
        };
    }

    private static (double At, string Reason)? FirstDisconnect(IReadOnlyList<JsonObject> events)
    {
        var first = events.FirstOrDefault(e => JsonLinesProcess.EventNameOf(e) == "disconnected");
        return first is null ? null : (JsonLinesProcess.ArrivalOf(first), first["reason"]?.GetValue<string>() ?? "unknown");
    }

    private static double? After((double At, string Reason)? disconnect, double faultAt) =>
        disconnect is { } d && d.At >= faultAt ? Math.Round(d.At - faultAt, 3) : null;

    private static (bool? Completed, bool? Intact) Transfers(LabScenario scenario, IReadOnlyList<JsonObject> client)
    {
        if (!scenario.HasTransfers)
        {
            return (null, null);
        }

        var wanted = new[] { ("upload", scenario.Upload), ("download", scenario.Download) }.Where(w => w.Item2 is not null).Select(w => w.Item1).ToList();
        var done = client.Where(e => JsonLinesProcess.EventNameOf(e) == "completed").ToList();
        var completed = wanted.All(direction => done.Any(e => e["direction"]?.GetValue<string>() == direction));

        // Tether's "completed" means the receiver confirmed length and SHA-256; other contenders say so with "intact".
        return completed ? (true, done.All(e => e["intact"]?.GetValue<bool>() ?? true)) : (false, null);
    }

    /// <summary>The receiving side's view of a transfer (the sender's counts only what its socket accepted).</summary>
    private static List<ProgressSample> Progress(IReadOnlyList<JsonObject> receiver, double connectedAt) =>
        receiver.Where(e => JsonLinesProcess.EventNameOf(e) is "progress" or "completed" && e["bytes"] is not null)
            .Select(e => new ProgressSample(Math.Round(JsonLinesProcess.ArrivalOf(e) - connectedAt, 3), e["bytes"]!.GetValue<long>()))
            .ToList();
}
