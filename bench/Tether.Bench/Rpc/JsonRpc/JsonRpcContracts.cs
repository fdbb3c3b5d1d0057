using MessagePack;

namespace Tether.Bench.Rpc.JsonRpc;

/// <summary>The unary_small answer for StreamJsonRpc's MessagePack formatter (array layout, keys by position).</summary>
[MessagePackObject]
public sealed class SmallReply
{
    /// <summary>The id.</summary>
    [Key(0)]
    public int Id { get; set; }

    /// <summary>The text.</summary>
    [Key(1)]
    public string Text { get; set; } = "";
}
