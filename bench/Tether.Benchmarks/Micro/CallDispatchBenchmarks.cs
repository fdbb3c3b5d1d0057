using System.Net;
using BenchmarkDotNet.Attributes;
using Tether.Bench.Rpc;
using Tether.Bench.Rpc.Tether;
using Tether.Hosting;
using Tether.Remoting;

namespace Tether.Benchmarks.Micro;

/// <summary>
/// One remote call round trip over a loopback session with both ends in this process, so <c>Allocated</c> is the
/// caller's plus the callee's allocation per call: unary_small of <c>tether bench rpc</c> (an int and a 32-byte string,
/// a copyable record back) through the typed proxy and through untyped <c>CallAsync</c>; <c>Concurrent16</c> keeps 16
/// calls in flight.
/// </summary>
[MemoryDiagnoser]
public class CallDispatchBenchmarks
{
    private const int Batch = 16;
    private readonly Task[] _batch = new Task[Batch];
    private TetherServer _server = null!;
    private TetherClient _client = null!;
    private RemoteReference _root = null!;
    private IBenchService _proxy = null!;

    [GlobalSetup]
    public void Setup()
    {
        var remoting = new RemotingOptions();
        remoting.Types.AddCopyable<SmallMessage>(nameof(SmallMessage));
        _server = TetherServer.Start(new TetherServerOptions { Endpoint = new IPEndPoint(IPAddress.Loopback, 0), Root = new TetherBenchService(), Remoting = remoting });
        _client = new TetherClient(new TetherClientOptions { Endpoint = _server.LocalEndPoint, Remoting = remoting });
        _root = _client.ConnectAsync().GetAwaiter().GetResult().Root;
        _proxy = _root.As<IBenchService>();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _client.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _server.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    /// <summary>The typed proxy: <c>EchoAsync(1, text)</c>.</summary>
    [Benchmark(Baseline = true)]
    public Task<SmallMessage> TypedEcho() => _proxy.EchoAsync(1, BenchData.SmallText);

    /// <summary>The same call by name: <c>CallAsync&lt;SmallMessage&gt;("Echo", 1, text)</c>.</summary>
    [Benchmark]
    public Task<SmallMessage> UntypedEcho() => _root.CallAsync<SmallMessage>("Echo", 1, BenchData.SmallText);

    /// <summary>16 typed calls in flight, awaited together; figures are per call.</summary>
    [Benchmark(OperationsPerInvoke = Batch)]
    public Task Concurrent16()
    {
        for (var i = 0; i < Batch; i++)
        {
            _batch[i] = _proxy.EchoAsync(i, BenchData.SmallText);
        }

        return Task.WhenAll(_batch);
    }
}
