using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Tether.Cli.Output;

/// <summary>
/// Writes events as JSON lines: one object per line, written and flushed as a whole, so a reader (a test harness, a
/// lab script, <c>jq</c>) sees each event the moment it happens. Every object starts with <c>"t"</c> — seconds since
/// the process started, as a float — and <c>"event"</c>. Safe to call from any thread; lines never interleave.
/// If the output breaks (the reader went away), further events are dropped rather than failing the caller.
/// </summary>
internal sealed class JsonLinesWriter : IDisposable
{
    private static readonly JsonWriterOptions WriterOptions = new()
    {
        // The output is read by programs and people, never embedded in HTML: keep endpoints and details readable.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Indented = false,
    };

    private static readonly string[] FixedFormats = ["F0", "F1", "F2", "F3", "F4", "F5", "F6", "F7", "F8", "F9"];

    private readonly Lock _gate = new();
    private readonly Stream _output;
    private readonly Func<double> _clock;
    private readonly ArrayBufferWriter<byte> _buffer = new(512);
    private readonly Utf8JsonWriter _json;
    private bool _broken;

    /// <summary>Creates a writer.</summary>
    /// <param name="output">Where lines go; flushed after each line.</param>
    /// <param name="clock">Seconds since the process started (the <c>"t"</c> field).</param>
    public JsonLinesWriter(Stream output, Func<double> clock)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(clock);
        _output = output;
        _clock = clock;
        _json = new Utf8JsonWriter(_buffer, WriterOptions);
    }

    /// <summary>Writes one event line.</summary>
    /// <param name="eventName">The <c>"event"</c> value.</param>
    /// <param name="fields">Writes the remaining properties (the object is already open); null for none.</param>
    public void Emit(string eventName, Action<Utf8JsonWriter>? fields = null)
    {
        lock (_gate)
        {
            if (_broken)
            {
                return;
            }

            // Stamp inside the lock so "t" never goes backwards from one line to the next.
            var t = _clock();
            _buffer.ResetWrittenCount();
            _json.Reset(_buffer);
            _json.WriteStartObject();
            WriteSeconds(_json, "t", t, decimals: 6);
            _json.WriteString("event", eventName);
            fields?.Invoke(_json);
            _json.WriteEndObject();
            _json.Flush();
            _buffer.Write("\n"u8);
            try
            {
                _output.Write(_buffer.WrittenSpan);
                _output.Flush();
            }
            catch (IOException)
            {
                _broken = true;
            }
            catch (ObjectDisposedException)
            {
                _broken = true;
            }
        }
    }

    /// <summary>
    /// Writes a duration in seconds as a JSON number that always has a fraction (<c>2.000</c>, not <c>2</c>), so every
    /// consumer reads it as a float.
    /// </summary>
    /// <param name="json">The writer, inside an object.</param>
    /// <param name="name">The property name.</param>
    /// <param name="seconds">The value.</param>
    /// <param name="decimals">Digits after the point (1..9).</param>
    public static void WriteSeconds(Utf8JsonWriter json, string name, double seconds, int decimals = 3)
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentOutOfRangeException.ThrowIfLessThan(decimals, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(decimals, 9);
        json.WritePropertyName(name);
        if (!double.IsFinite(seconds))
        {
            json.WriteNullValue();
            return;
        }

        Span<byte> text = stackalloc byte[64];
        if (!seconds.TryFormat(text, out var written, FixedFormats[decimals], CultureInfo.InvariantCulture))
        {
            json.WriteNumberValue(seconds);
            return;
        }

        json.WriteRawValue(text[..written], skipInputValidation: true);
    }

    /// <summary>A clock reading seconds since this process started (not since this call), on a monotonic timer.</summary>
    /// <returns>The clock.</returns>
    public static Func<double> ProcessClock()
    {
        // The process start time is only known to the jiffy and on the wall clock; take it once, then count on the
        // monotonic Stopwatch so "t" never jumps with wall-clock adjustments.
        double offset;
        try
        {
            using var self = Process.GetCurrentProcess();
            offset = Math.Max(0, (DateTime.Now - self.StartTime).TotalSeconds);
        }
        catch (Exception e) when (e is InvalidOperationException or NotSupportedException or System.ComponentModel.Win32Exception)
        {
            offset = 0;
        }

        var origin = Stopwatch.GetTimestamp();
        return () => offset + Stopwatch.GetElapsedTime(origin).TotalSeconds;
    }

    /// <summary>Disposes the JSON writer (not the output stream).</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _json.Dispose();
            _broken = true;
        }
    }
}
