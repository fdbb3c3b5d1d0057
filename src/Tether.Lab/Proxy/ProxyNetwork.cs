using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Tether.Lab.Contenders;
using Tether.Lab.Engine;
using Tether.Lab.Netns;
using Tether.Lab.Scenarios;

namespace Tether.Lab.Proxy;

/// <summary>A run's network in user space: both ends on loopback, the client connecting through a <see cref="FaultProxy"/>.</summary>
internal sealed class ProxyNetwork : ILabNetwork
{
    private readonly FaultProxy _proxy;
    private readonly string _marker = LabEngine.NameStem + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3));
    private readonly List<JsonLinesProcess> _processes = [];
    private long _counterStart;

    private ProxyNetwork(LabScenario scenario)
    {
        ServerEndpoint = new IPEndPoint(IPAddress.Loopback, FreePort());
        _proxy = FaultProxy.Start(ServerEndpoint, scenario.Link, scenario.Router);
    }

    /// <inheritdoc />
    public IPEndPoint ServerEndpoint { get; }

    /// <inheritdoc />
    public IPEndPoint ClientTarget => _proxy.Endpoint;

    /// <summary>Builds the network for a scenario.</summary>
    /// <param name="scenario">The scenario.</param>
    /// <param name="cancellationToken">Unused: nothing to wait for.</param>
    /// <returns>The network.</returns>
    public static Task<ILabNetwork> CreateAsync(LabScenario scenario, CancellationToken cancellationToken) =>
        Task.FromResult<ILabNetwork>(new ProxyNetwork(scenario));

    /// <inheritdoc />
    public JsonLinesProcess Start(LabSide side, LaunchCommand command)
    {
        var info = ProcessRunner.CreateStartInfo(command.FileName, command.Arguments);
        info.Environment[NetnsLab.MarkerVariable] = _marker;
        var process = new JsonLinesProcess(Process.Start(info)!, $"{command.FileName} ({side})");
        lock (_processes)
        {
            _processes.Add(process);
        }

        return process;
    }

    /// <inheritdoc />
    public Task StartWireCounterAsync(CancellationToken cancellationToken)
    {
        _counterStart = _proxy.BytesForwarded;
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task<long> ReadWireBytesAsync(CancellationToken cancellationToken) => Task.FromResult(_proxy.BytesForwarded - _counterStart);

    /// <inheritdoc />
    public Task BlackholeAsync(CancellationToken cancellationToken)
    {
        _proxy.Blackhole();
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task ForgetNatAsync(CancellationToken cancellationToken)
    {
        _proxy.Forget();
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        List<JsonLinesProcess> processes;
        lock (_processes)
        {
            processes = [.. _processes];
        }

        // Disposing a JsonLinesProcess kills its tree (idempotent: the run may have disposed it already).
        foreach (var process in processes)
        {
            await process.DisposeAsync();
        }

        await _proxy.DisposeAsync();
    }

    private static int FreePort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }
}
