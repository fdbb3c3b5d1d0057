using System.Net;
using Tether.Lab.Contenders;
using Tether.Lab.Netns;
using Tether.Lab.Scenarios;

namespace Tether.Lab.Engine;

/// <summary>
/// The network one run happens in: where the server listens, where the client connects, how its ends are started, and
/// the faults it can inject. Disposing it kills the processes and removes everything it set up.
/// </summary>
internal interface ILabNetwork : IAsyncDisposable
{
    /// <summary>Where the server listens.</summary>
    IPEndPoint ServerEndpoint { get; }

    /// <summary>Where the client connects.</summary>
    IPEndPoint ClientTarget { get; }

    /// <summary>Starts one end: the client on side A, the server on side B.</summary>
    /// <param name="side">A or B.</param>
    /// <param name="command">The program.</param>
    /// <returns>The process, reading its JSON lines.</returns>
    JsonLinesProcess Start(LabSide side, LaunchCommand command);

    /// <summary>Starts counting the bytes that carry the connection.</summary>
    /// <param name="cancellationToken">Cancels the step.</param>
    /// <returns>A task.</returns>
    Task StartWireCounterAsync(CancellationToken cancellationToken);

    /// <summary>Bytes counted so far.</summary>
    /// <param name="cancellationToken">Cancels the step.</param>
    /// <returns>The count.</returns>
    Task<long> ReadWireBytesAsync(CancellationToken cancellationToken);

    /// <summary>Drops everything both ways from now on.</summary>
    /// <param name="cancellationToken">Cancels the step.</param>
    /// <returns>A task.</returns>
    Task BlackholeAsync(CancellationToken cancellationToken);

    /// <summary>Makes the NAT forget every connection.</summary>
    /// <param name="cancellationToken">Cancels the step.</param>
    /// <returns>A task.</returns>
    Task ForgetNatAsync(CancellationToken cancellationToken);
}

/// <summary>The real thing: a <see cref="NetnsLab"/> (veth, tbf, nftables, a NAT router namespace).</summary>
internal sealed class NetnsNetwork : ILabNetwork
{
    private const int Port = 7000;
    private readonly NetnsLab _lab;

    private NetnsNetwork(NetnsLab lab)
    {
        _lab = lab;
        ServerEndpoint = new IPEndPoint(lab.AddressB, Port);
    }

    /// <inheritdoc />
    public IPEndPoint ServerEndpoint { get; }

    /// <inheritdoc />
    public IPEndPoint ClientTarget => ServerEndpoint;

    /// <summary>Builds the scenario's network.</summary>
    /// <param name="scenario">The scenario.</param>
    /// <param name="cancellationToken">Cancels the setup (which then cleans up).</param>
    /// <returns>The network.</returns>
    public static async Task<NetnsNetwork> CreateAsync(LabScenario scenario, CancellationToken cancellationToken)
    {
        var lab = await NetnsLab.CreateAsync(scenario.Router, LabEngine.NameStem, cancellationToken);
        try
        {
            if (scenario.Link is { } link)
            {
                await lab.SetRateAsync(LabSide.Both, link.KbitPerSecond, link.Queue, cancellationToken);
            }

            return new NetnsNetwork(lab);
        }
        catch
        {
            await lab.DisposeAsync();
            throw;
        }
    }

    /// <inheritdoc />
    public JsonLinesProcess Start(LabSide side, LaunchCommand command) => _lab.StartJsonLines(side, command.FileName, command.Arguments);

    /// <inheritdoc />
    public Task StartWireCounterAsync(CancellationToken cancellationToken) => _lab.StartWireCounterAsync(cancellationToken);

    /// <inheritdoc />
    public Task<long> ReadWireBytesAsync(CancellationToken cancellationToken) => _lab.ReadWireBytesAsync(cancellationToken);

    /// <inheritdoc />
    public Task BlackholeAsync(CancellationToken cancellationToken) => _lab.BlackholeAsync(LabSide.Both, cancellationToken);

    /// <inheritdoc />
    public Task ForgetNatAsync(CancellationToken cancellationToken) => NatRouter.ForgetAllAsync(_lab, cancellationToken);

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _lab.DisposeAsync();
}
