using Google.Protobuf;
using Grpc.Core;
using Tether.Bench.Rpc.Grpc.Generated;

namespace Tether.Bench.Rpc.Grpc;

/// <summary>The gRPC server's implementation of the workloads.</summary>
internal sealed class GrpcBenchService : BenchService.BenchServiceBase
{
    public override Task<SmallMessage> Echo(SmallMessage request, ServerCallContext context) =>
        Task.FromResult(new SmallMessage { Id = request.Id, Text = request.Text });

    public override Task<Length> Upload(Payload request, ServerCallContext context) =>
        Task.FromResult(new Length { Value = request.Data.Length });

    public override async Task Ticks(TickRequest request, IServerStreamWriter<SmallMessage> responseStream, ServerCallContext context)
    {
        var deadline = Environment.TickCount64 + request.Milliseconds;
        var id = 0;
        while (Environment.TickCount64 < deadline)
        {
            await responseStream.WriteAsync(new SmallMessage { Id = id++, Text = BenchData.SmallText });
        }
    }

    /// <summary>The 1 MB payload as a protobuf field, made once.</summary>
    public static ByteString ToByteString(byte[] payload) => UnsafeByteOperations.UnsafeWrap(payload);
}
