using System.Net;

namespace Tether.Bench.Rpc;

/// <summary>One RPC system measured by <c>tether bench rpc</c>: how to serve the workloads and how to call them.</summary>
internal interface IRpcContender
{
    /// <summary>The name used on the command line and in the results (<c>tether</c>, <c>grpc</c>, <c>streamjsonrpc</c>).</summary>
    string Name { get; }

    /// <summary>How this contender is configured, printed with the results.</summary>
    string Config { get; }

    /// <summary>Starts the server on 127.0.0.1 with an ephemeral port (in the server's own process).</summary>
    Task<IRpcServer> StartServerAsync();

    /// <summary>Opens one connection to the server at <paramref name="server"/>.</summary>
    Task<IRpcClient> ConnectAsync(IPEndPoint server);
}

/// <summary>A running contender server.</summary>
internal interface IRpcServer : IAsyncDisposable
{
    /// <summary>Where it listens.</summary>
    IPEndPoint EndPoint { get; }
}

/// <summary>One client connection and the three workloads over it.</summary>
internal interface IRpcClient : IAsyncDisposable
{
    /// <summary>unary_small: sends an int and the 32-byte string; the server answers with an int and a 32-byte string.</summary>
    Task EchoAsync(int id);

    /// <summary>payload_1mb: sends <paramref name="payload"/>; the server answers with its length.</summary>
    Task UploadAsync(byte[] payload);

    /// <summary>callbacks: the server calls back into this client for <paramref name="duration"/>.</summary>
    /// <returns>The number of callbacks (messages) this client received.</returns>
    Task<long> ReceiveCallbacksAsync(TimeSpan duration);
}
