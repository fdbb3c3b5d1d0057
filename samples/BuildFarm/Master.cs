using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using Tether;
using Tether.Hosting;
using Tether.Remoting;
using Tether.Remoting.Login;

namespace BuildFarm;

/// <summary>The build master: workers log in, register a builder, get commands, stream output, upload artifacts.</summary>
internal sealed class Master : IRealm
{
    private readonly ConcurrentDictionary<string, (IBuilder Builder, int Cores)> _workers = new();
    private readonly InMemoryPasswordStore _passwords = new();

    public event Action<string>? WorkerReady;

    public Master(IEnumerable<string> workerNames)
    {
        foreach (var name in workerNames)
        {
            _passwords.Add(name, Program.PasswordOf(name));
        }
    }

    public TetherServer Start(IPEndPoint endpoint) => TetherServer.Start(new TetherServerOptions
    {
        Endpoint = endpoint,
        // A worker behind a NAT is idle for hours: keepalives every 15 s keep a 5-minute mapping open, and a
        // silent worker is declared dead after 45 s (see docs/liveness.md). The demo shortens both.
        Connection = new TetherConnectionOptions { KeepaliveInterval = TimeSpan.FromSeconds(1), DeadTimeout = TimeSpan.FromSeconds(4) },
        Login = new LoginOptions { Passwords = _passwords, Realm = this },
    });

    public IReadOnlyCollection<string> Workers => [.. _workers.Keys];

    public async Task<int> BuildAsync(string worker, string command, CancellationToken cancellationToken = default)
    {
        var (builder, _) = _workers[worker];
        Program.Say($"master: {worker} runs '{command}'");
        return await builder.RunAsync(command, new ConsoleLog(worker), cancellationToken);
    }

    public ValueTask<IReferenceable> GetAvatarAsync(string userName, RemoteReference? mind, TetherSession session, CancellationToken cancellationToken)
    {
        Program.Say($"master: {userName} logged in from {session.RemoteEndPoint}");
        return ValueTask.FromResult<IReferenceable>(new WorkerPerspective(this, userName));
    }

    public ValueTask LogoutAsync(string userName, IReferenceable avatar, Disconnection disconnection)
    {
        _workers.TryRemove(userName, out _);
        Program.Say($"master: {userName} is gone: {disconnection.ReasonCode} ({disconnection.Detail}; silent for {disconnection.Silence.TotalSeconds:0.0} s)");
        return ValueTask.CompletedTask;
    }

    private sealed class ConsoleLog(string worker) : IBuildLog
    {
        public Task LineAsync(string line)
        {
            Program.Say($"  [{worker}] {line}");
            return Task.CompletedTask;
        }
    }

    /// <summary>One logged-in worker's view of the master.</summary>
    private sealed class WorkerPerspective(Master master, string worker) : IMasterPerspective
    {
        private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        private long _received;

        public Task RegisterAsync(IBuilder builder, int cores)
        {
            master._workers[worker] = (builder, cores);
            Program.Say($"master: {worker} registered a builder ({cores} cores)");
            master.WorkerReady?.Invoke(worker);
            return Task.CompletedTask;
        }

        public Task UploadPieceAsync(string artifact, long offset, byte[] data)
        {
            if (offset != _received)
            {
                throw new InvalidOperationException($"piece at {offset}, expected {_received}");
            }

            _hash.AppendData(data);
            _received += data.Length;
            return Task.CompletedTask;
        }

        public Task<bool> FinishUploadAsync(string artifact, long length, string sha256)
        {
            var intact = length == _received && Convert.ToHexString(_hash.GetHashAndReset()) == sha256;
            Program.Say($"master: {worker} uploaded {artifact}: {_received / (1024 * 1024.0):0.0} MiB, {(intact ? "intact" : "CORRUPT")}");
            _received = 0;
            return Task.FromResult(intact);
        }
    }
}
