using System.Net;
using System.Security.Cryptography;
using Tether.Hosting;
using Tether.Remoting;
using Tether.Remoting.Login;

namespace BuildFarm;

/// <summary>A worker: logs in, registers its builder, runs what the master asks, uploads the artifact.</summary>
internal sealed class Worker(string name) : IBuilder
{
    private const int PieceSize = 256 * 1024;
    private IMasterPerspective? _master;

    public async Task RunAsync(EndPoint master, CancellationToken cancellationToken)
    {
        await using var client = new TetherClient(new TetherClientOptions
        {
            Endpoint = master,
            Connection = new Tether.TetherConnectionOptions { KeepaliveInterval = TimeSpan.FromSeconds(1), DeadTimeout = TimeSpan.FromSeconds(4) },
            Credentials = new PasswordCredentials(name, Program.PasswordOf(name)),
        });
        client.Connected += async (_, e) =>
        {
            _master = e.Perspective!.As<IMasterPerspective>();
            await _master.RegisterAsync(this, Environment.ProcessorCount);
        };
        client.Disconnected += (_, e) => Program.Say($"{name}: disconnected ({e.Disconnection?.ReasonCode ?? e.Error?.Message}), retry in {e.NextAttemptIn?.TotalSeconds:0.0} s");
        await client.ConnectAsync(cancellationToken);
        await Task.Delay(Timeout.Infinite, cancellationToken);
    }

    public async Task<int> RunAsync(string command, IBuildLog log, CancellationToken cancellationToken)
    {
        for (var step = 1; step <= 5; step++)
        {
            await Task.Delay(100, cancellationToken);
            await log.LineAsync($"{command}: step {step}/5 done");
        }

        await UploadArtifactAsync($"{name}-{command}.tar", 8 * 1024 * 1024);
        await log.LineAsync($"{command}: finished");
        return 0;
    }

    private async Task UploadArtifactAsync(string artifact, int length)
    {
        var data = new byte[length];
        new Random(length).NextBytes(data);
        for (var offset = 0; offset < length; offset += PieceSize)
        {
            await _master!.UploadPieceAsync(artifact, offset, data[offset..Math.Min(length, offset + PieceSize)]);
        }

        await _master!.FinishUploadAsync(artifact, length, Convert.ToHexString(SHA256.HashData(data)));
    }
}
