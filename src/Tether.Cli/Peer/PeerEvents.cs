using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Tether.Cli.Output;
using Tether.Framing;

namespace Tether.Cli.Peer;

/// <summary>
/// The JSON-lines events of <c>tether peer</c>, in one place so their shape is documented once. On the listener every
/// per-connection event carries <c>"conn"</c> (1, 2, ... in accept order); the connector has one connection and omits it.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item><c>listening</c> endpoint — the listener is bound (the actual port when 0 was asked for).</item>
/// <item><c>connected</c> peer, local — the handshake completed.</item>
/// <item><c>progress</c> direction, bytes, total — a transfer's bytes so far, at most once a second per transfer
/// (on the sending side: bytes handed to the library; on the receiving side: bytes received).</item>
/// <item><c>sent</c> direction, bytes, sha256 — the sender handed the whole payload to the connection.</item>
/// <item><c>completed</c> direction, bytes, sha256, seconds — receiving side: the payload arrived whole and matches the
/// sender's hash; sending side: the receiver confirmed the same length and hash.</item>
/// <item><c>holding</c> seconds (null = until the peer goes away) — the connector finished its transfers and idles.</item>
/// <item><c>disconnected</c> reason, detail, silence_s, bytes_sent, bytes_received, srtt_s — the connection ended;
/// reason is the library's snake_case code.</item>
/// <item><c>error</c> message (and direction, when about a transfer) — a failure not covered by <c>disconnected</c>.</item>
/// </list>
/// </remarks>
/// <param name="output">The writer.</param>
/// <param name="connectionId">The listener's connection number; null on the connector.</param>
internal sealed class PeerEvents(JsonLinesWriter output, long? connectionId = null)
{
    /// <summary>The listener is bound.</summary>
    /// <param name="endpoint">The bound endpoint.</param>
    public void Listening(IPEndPoint endpoint) =>
        Emit("listening", w => w.WriteString("endpoint", endpoint.ToString()));

    /// <summary>A connection completed its handshake.</summary>
    /// <param name="connection">The connection.</param>
    public void Connected(TetherConnection connection) => Connected(connection.RemoteEndPoint, connection.LocalEndPoint);

    /// <summary>A lab contender's connection is up.</summary>
    /// <param name="peer">The remote end.</param>
    /// <param name="local">The local end.</param>
    public void Connected(EndPoint? peer, EndPoint? local) => Emit("connected", w =>
    {
        w.WriteString("peer", peer?.ToString());
        w.WriteString("local", local?.ToString());
    });

    /// <summary>A connection ended.</summary>
    /// <param name="disconnection">How.</param>
    /// <param name="connection">The connection, for its round-trip estimate; null when it never opened.</param>
    public void Disconnected(Disconnection disconnection, TetherConnection? connection) => Emit("disconnected", w =>
    {
        w.WriteString("reason", disconnection.ReasonCode);
        w.WriteString("detail", disconnection.Detail);
        JsonLinesWriter.WriteSeconds(w, "silence_s", disconnection.Silence.TotalSeconds);
        w.WriteNumber("bytes_sent", disconnection.BytesSent);
        w.WriteNumber("bytes_received", disconnection.BytesReceived);
        if (connection?.Liveness.SmoothedRoundTripTime is { } srtt)
        {
            JsonLinesWriter.WriteSeconds(w, "srtt_s", srtt.TotalSeconds, decimals: 6);
        }
    });

    /// <summary>A connection of a lab contender that is not Tether ended (only the reason is known).</summary>
    /// <param name="reason">The snake_case reason, in the library's vocabulary.</param>
    public void Disconnected(string reason) => Emit("disconnected", w => w.WriteString("reason", reason));

    /// <summary>Progress of a transfer.</summary>
    /// <param name="direction">upload or download.</param>
    /// <param name="bytes">Bytes so far.</param>
    /// <param name="total">Bytes in the payload.</param>
    public void Progress(string direction, long bytes, long total) => Emit("progress", w =>
    {
        w.WriteString("direction", direction);
        w.WriteNumber("bytes", bytes);
        w.WriteNumber("total", total);
    });

    /// <summary>The sender handed the whole payload to the connection.</summary>
    /// <param name="direction">upload or download.</param>
    /// <param name="bytes">Payload length.</param>
    /// <param name="sha256">Payload hash.</param>
    public void Sent(string direction, long bytes, string sha256) => Emit("sent", w =>
    {
        w.WriteString("direction", direction);
        w.WriteNumber("bytes", bytes);
        w.WriteString("sha256", sha256);
    });

    /// <summary>A lab contender's transfer arrived whole; <paramref name="intact"/> says whether its hash matched.</summary>
    /// <param name="direction">upload or download.</param>
    /// <param name="bytes">Payload length.</param>
    /// <param name="intact">Whether the receiver's SHA-256 equals the sender's; null on the side that cannot tell.</param>
    /// <param name="longestSilence">On the receiving side, the longest gap between two reads of the payload (seconds); else null.</param>
    public void Completed(string direction, long bytes, bool? intact, double? longestSilence) => Emit("completed", w =>
    {
        w.WriteString("direction", direction);
        w.WriteNumber("bytes", bytes);
        if (intact is { } i)
        {
            w.WriteBoolean("intact", i);
        }

        if (longestSilence is { } s)
        {
            JsonLinesWriter.WriteSeconds(w, "longest_silence_s", s);
        }
    });

    /// <summary>A transfer completed and was verified.</summary>
    /// <param name="direction">upload or download.</param>
    /// <param name="bytes">Payload length.</param>
    /// <param name="sha256">Payload hash.</param>
    /// <param name="elapsed">Time from the start of the transfer to its verification.</param>
    public void Completed(string direction, long bytes, string sha256, TimeSpan elapsed) => Emit("completed", w =>
    {
        w.WriteString("direction", direction);
        w.WriteNumber("bytes", bytes);
        w.WriteString("sha256", sha256);
        JsonLinesWriter.WriteSeconds(w, "seconds", elapsed.TotalSeconds);
    });

    /// <summary>The connector finished its transfers and holds the connection open.</summary>
    /// <param name="hold">For how long; null until the peer goes away.</param>
    public void Holding(TimeSpan? hold) => Emit("holding", w =>
    {
        if (hold is { } h)
        {
            JsonLinesWriter.WriteSeconds(w, "seconds", h.TotalSeconds);
        }
        else
        {
            w.WriteNull("seconds");
        }
    });

    /// <summary>A failure that <c>disconnected</c> does not explain.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="direction">The transfer it concerns, if any.</param>
    public void Error(string message, string? direction = null) => Emit("error", w =>
    {
        if (direction is not null)
        {
            w.WriteString("direction", direction);
        }

        w.WriteString("message", message);
    });

    /// <summary>Creates a progress reporter for one transfer (at most one event per second).</summary>
    /// <param name="direction">upload or download.</param>
    /// <param name="total">Payload length.</param>
    /// <returns>A callback taking the bytes so far.</returns>
    public Action<long> ProgressReporter(string direction, long total)
    {
        var last = Stopwatch.GetTimestamp();
        return bytes =>
        {
            if (Stopwatch.GetElapsedTime(last) >= TimeSpan.FromSeconds(1))
            {
                last = Stopwatch.GetTimestamp();
                Progress(direction, bytes, total);
            }
        };
    }

    private void Emit(string name, Action<Utf8JsonWriter> fields) => output.Emit(name, w =>
    {
        if (connectionId is { } id)
        {
            w.WriteNumber("conn", id);
        }

        fields(w);
    });
}
