using System.Net;
using System.Text.Json.Nodes;
using Tether.Lab.Contenders;
using Tether.Lab.Netns;
using Tether.Lab.Results;
using Tether.Lab.Scenarios;

namespace Tether.Lab.Engine;

/// <summary>
/// One scenario for one contender: builds the network, starts the server in B and the client in A, waits, injects the
/// fault, watches both sides, and tears everything down (the <see cref="ILabNetwork"/> kills the processes and removes
/// what it set up, also on Ctrl-C or a failed step).
/// </summary>
/// <param name="scenario">The scenario.</param>
/// <param name="contender">The contender.</param>
/// <param name="logDirectory">Where to keep both processes' output, or null.</param>
/// <param name="mode">The JSON's <c>mode</c>: <c>netns</c> or <c>proxy</c>.</param>
/// <param name="createNetwork">Builds the run's network (namespaces, or the user-space proxy).</param>
internal sealed class LabRun(LabScenario scenario, LabContender contender, string? logDirectory, string mode, Func<LabScenario, CancellationToken, Task<ILabNetwork>> createNetwork)
{
    /// <summary>Starts the note of a run that could not be carried out; <see cref="LabVerdict"/> counts it as a failure.</summary>
    public const string ErrorPrefix = "lab error:";

    private static readonly TimeSpan Startup = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan IdleMargin = TimeSpan.FromSeconds(1);

    /// <summary>After a healthy client closed, how long the server may take to see it.</summary>
    private static readonly TimeSpan ServerEndWait = TimeSpan.FromSeconds(5);

    private readonly List<string> _remarks = [];

    public async Task<LabResult> RunAsync(CancellationToken cancellationToken)
    {
        await using var network = await createNetwork(scenario, cancellationToken);
        var plan = new PeerPlan(network.ServerEndpoint, scenario.Bound, scenario.Keepalive, scenario.Upload, scenario.Download, scenario.Delay, scenario.Hold);
        await using var server = network.Start(LabSide.B, contender.Listen(plan));
        await server.WaitForEventAsync("listening", Startup).WaitAsync(cancellationToken);
        await using var client = network.Start(LabSide.A, contender.Connect(plan with { Endpoint = network.ClientTarget }));
        await network.StartWireCounterAsync(cancellationToken);
        await client.WaitForEventAsync("connected", Startup).WaitAsync(cancellationToken);
        var connectedAt = JsonLinesProcess.Now;
        var handshakeBytes = await network.ReadWireBytesAsync(cancellationToken);

        long? keepaliveBytes = null;
        double? faultAt = null;
        Task resumed = Task.CompletedTask;
        if (scenario.Delay > TimeSpan.Zero)
        {
            // The client's own idle timer started a moment before it reported the connection: stop counting a
            // little early so that none of its first transfer's bytes are taken for keepalive traffic.
            await Task.Delay(scenario.Delay - IdleMargin, cancellationToken);
            keepaliveBytes = await network.ReadWireBytesAsync(cancellationToken) - handshakeBytes;
        }
        else if (scenario.Fault != LabFault.None)
        {
            await Task.Delay(scenario.FaultAfter, cancellationToken);
            keepaliveBytes = await network.ReadWireBytesAsync(cancellationToken) - handshakeBytes;
        }

        if (scenario.Fault != LabFault.None)
        {
            faultAt = JsonLinesProcess.Now;
            resumed = await InjectAsync(network, server, cancellationToken);
        }

        if (scenario.IsHealthy)
        {
            await WaitForHealthyEndAsync(client, server, connectedAt, cancellationToken);
        }
        else
        {
            await WaitUntilAsync(() => Resolved(client) && Resolved(server), faultAt!.Value + scenario.Observe.TotalSeconds, cancellationToken);
        }

        await resumed;
        await KeepLogsAsync(client, server);
        var observed = new RunObservation(client.Events, server.Events, connectedAt, faultAt, keepaliveBytes, _remarks);
        return ResultEvaluator.Evaluate(scenario, contender.Name, contender.HasBound, mode, observed);
    }

    private async Task KeepLogsAsync(JsonLinesProcess client, JsonLinesProcess server)
    {
        if (logDirectory is null)
        {
            return;
        }

        Directory.CreateDirectory(logDirectory);
        var stem = Path.Combine(logDirectory, $"{scenario.Label.Replace(' ', '-').Replace("(", string.Empty, StringComparison.Ordinal).Replace(")", string.Empty, StringComparison.Ordinal)}.{contender.Name}");
        await File.WriteAllTextAsync(stem + ".client.log", client.DescribeOutput());
        await File.WriteAllTextAsync(stem + ".server.log", server.DescribeOutput());
    }

    private static bool Resolved(JsonLinesProcess process) =>
        process.HasExited || process.Events.Any(e => JsonLinesProcess.EventNameOf(e) == "disconnected");

    private static async Task<bool> WaitUntilAsync(Func<bool> condition, double until, CancellationToken cancellationToken)
    {
        while (!condition())
        {
            if (JsonLinesProcess.Now >= until)
            {
                return false;
            }

            await Task.Delay(Poll, cancellationToken);
        }

        return true;
    }

    /// <summary>Injects the fault; returns a task that ends when a frozen server has been resumed.</summary>
    private async Task<Task> InjectAsync(ILabNetwork network, JsonLinesProcess server, CancellationToken cancellationToken)
    {
        switch (scenario.Fault)
        {
            case LabFault.KillServer:
                server.Signal(JsonLinesProcess.SigKill);
                break;
            case LabFault.Blackhole:
                await network.BlackholeAsync(cancellationToken);
                break;
            case LabFault.ForgetNat:
                await network.ForgetNatAsync(cancellationToken);
                break;
            case LabFault.FreezeServer:
                server.Signal(JsonLinesProcess.SigStop);
                return ResumeAsync(server, cancellationToken);
            default:
                throw new InvalidOperationException($"no fault to inject for {scenario.Fault}");
        }

        return Task.CompletedTask;
    }

    private async Task ResumeAsync(JsonLinesProcess server, CancellationToken cancellationToken)
    {
        await Task.Delay(scenario.FreezeFor, cancellationToken);
        server.Signal(JsonLinesProcess.SigCont);
    }

    private async Task WaitForHealthyEndAsync(JsonLinesProcess client, JsonLinesProcess server, double connectedAt, CancellationToken cancellationToken)
    {
        if (!await WaitUntilAsync(() => client.HasExited, connectedAt + scenario.Deadline.TotalSeconds, cancellationToken))
        {
            _remarks.Add($"client did not finish within {scenario.Deadline.TotalSeconds:0} s");
            return;
        }

        await WaitUntilAsync(() => Resolved(server), JsonLinesProcess.Now + ServerEndWait.TotalSeconds, cancellationToken);
    }
}
