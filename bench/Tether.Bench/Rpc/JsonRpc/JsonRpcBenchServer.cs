namespace Tether.Bench.Rpc.JsonRpc;

/// <summary>The StreamJsonRpc server's target object for one connection.</summary>
internal sealed class JsonRpcBenchServer(StreamJsonRpc.JsonRpc rpc)
{
    public const string EchoMethod = "Echo";
    public const string UploadMethod = "Upload";
    public const string TicksMethod = "Ticks";
    public const string TickNotification = "Tick";

    [StreamJsonRpc.JsonRpcMethod(EchoMethod)]
    public SmallReply Echo(int id, string text) => new() { Id = id, Text = text };

    [StreamJsonRpc.JsonRpcMethod(UploadMethod)]
    public int Upload(byte[] data) => data.Length;

    /// <summary>Sends notifications for <paramref name="milliseconds"/>, each awaited until written.</summary>
    [StreamJsonRpc.JsonRpcMethod(TicksMethod)]
    public async Task<long> TicksAsync(int milliseconds)
    {
        var deadline = Environment.TickCount64 + milliseconds;
        long sent = 0;
        while (Environment.TickCount64 < deadline)
        {
            await rpc.NotifyAsync(TickNotification, (int)sent, BenchData.SmallText);
            sent++;
        }

        return sent;
    }
}
