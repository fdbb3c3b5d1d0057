using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Logging;
using Nerdbank.MessagePack;
using Tether.Internal;
using Tether.Protocol;

namespace Tether.Remoting;

/// <summary>
/// Calls the peer makes here. Each method starts on the receive loop in arrival order (as in PB); what it awaits runs
/// on, and the answer is sent when it completes. A refused call gets an error answer; the connection stays up.
/// </summary>
internal sealed partial class NativeSession
{
    private readonly Dictionary<uint, CancellationTokenSource?> _incoming = [];

    private void HandleCall(ref MessagePackReader reader)
    {
        var callId = reader.ReadUInt32();
        var target = reader.ReadUInt32();
        var name = Utf8Names.Read(ref reader);
        if (!TryGetExport(target, out var export))
        {
            Refuse(callId, "Tether.NoSuchObject", $"No object #{target} is exported on this connection (released, or never sent).");
            return;
        }

        // The arguments stay on this frame: the method gets its parameters (the compiled call copies them out), never
        // the storage, and nothing below keeps it once InvokeAsync returns.
        var arguments = default(ArgumentSlots);
        if (!TryReadArguments(ref reader, export.Methods, name, ref arguments, out var method, out var refusal))
        {
            Refuse(callId, refusal.Type, refusal.Message);
            return;
        }

        CancellationTokenSource? cancellation = null;
        bool admitted;
        lock (_gate)
        {
            admitted = _incoming.Count < _options.MaxConcurrentIncomingCalls;
            if (admitted)
            {
                cancellation = method.TakesCancellation ? new CancellationTokenSource() : null;
                _incoming[callId] = cancellation;
                RemotingCounters.IncomingCalls.Add(1);
            }
        }

        if (!admitted)
        {
            Refuse(callId, typeof(TetherLimitException).FullName!, $"Too many calls running on this connection (RemotingOptions.MaxConcurrentIncomingCalls = {_options.MaxConcurrentIncomingCalls}).");
            return;
        }

        var running = method.InvokeAsync(export.Target, ref arguments, this, cancellation?.Token ?? CancellationToken.None);
        if (running.IsCompleted)
        {
            Finish(callId, running);
        }
        else
        {
            _ = FinishWhenDoneAsync(callId, running);
        }
    }

    /// <summary>
    /// Reads the arguments of a call or cache update: the method is chosen from <paramref name="methods"/> by name and
    /// argument count, and each argument is read as its parameter's type into <paramref name="arguments"/>. On failure,
    /// replicas the message created are released and <paramref name="refusal"/> says why (as an error type and message).
    /// </summary>
    private bool TryReadArguments(
        ref MessagePackReader reader,
        MethodTable methods,
        scoped ReadOnlySpan<byte> name,
        ref ArgumentSlots arguments,
        [NotNullWhen(true)] out RemoteMethod? method,
        out (string Type, string Message) refusal)
    {
        var values = NewValueReader();
        try
        {
            var count = values.ReadArrayHeader(ref reader);
            if (!methods.TryFind(name, count, out method, out var missing))
            {
                refusal = (typeof(MissingMethodException).FullName!, missing!);
                return false;
            }

            method.ReadArguments(ref reader, values, count, ref arguments);
            refusal = default;
            return true;
        }
        catch (TetherSerializationException e)
        {
            ReleaseMessageReplicas();
            method = null;
            refusal = (typeof(TetherSerializationException).FullName!, $"Arguments for '{System.Text.Encoding.UTF8.GetString(name)}' could not be read: {e.Message}");
            return false;
        }
    }

    private async Task FinishWhenDoneAsync(uint callId, ValueTask<object?> running)
    {
        try
        {
            await running.ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Finish reads the outcome.
        }

        Finish(callId, running);
    }

    private void Finish(uint callId, ValueTask<object?> completed)
    {
        CancellationTokenSource? cancellation;
        lock (_gate)
        {
            if (_incoming.Remove(callId, out cancellation))
            {
                RemotingCounters.IncomingCalls.Add(-1);
            }
        }

        cancellation?.Dispose();
        if (completed.IsCompletedSuccessfully)
        {
            Answer(callId, completed.Result);
            return;
        }

        var error = completed.AsTask().Exception?.InnerException ?? new OperationCanceledException("The call was cancelled.");
        if (error is OperationCanceledException && cancellation is not null)
        {
            LogCallCancelled(Logger, callId);
        }

        Refuse(callId, error);
    }

    private void Answer(uint callId, object? result)
    {
        try
        {
            SendMessage((callId, result), static (ref MessagePackWriter writer, ValueWriter values, (uint CallId, object? Result) answer) =>
            {
                writer.WriteArrayHeader(3);
                writer.Write((byte)MessageKind.Answer);
                writer.Write(answer.CallId);
                values.Write(ref writer, answer.Result);
            });
        }
        catch (ConnectionLostException)
        {
        }
        catch (Exception e)
        {
            // Nothing was queued (a result that cannot be serialized, the export table full): the caller hears why.
            Refuse(callId, e.GetType().FullName ?? e.GetType().Name, $"The result could not be sent: {e.Message}");
        }
    }

    private void Refuse(uint callId, Exception error) =>
        Refuse(callId, error is RemoteCallException remote ? remote.RemoteType : error.GetType().FullName ?? error.GetType().Name, error.Message, _options.IncludeExceptionDetails ? error.ToString() : null);

    private void Refuse(uint callId, string type, string message, string? detail = null) =>
        Post((callId, type, message, detail), static (ref MessagePackWriter writer, ValueWriter _, (uint CallId, string Type, string Message, string? Detail) error) =>
        {
            writer.WriteArrayHeader(5);
            writer.Write((byte)MessageKind.Error);
            writer.Write(error.CallId);
            writer.Write(error.Type);
            writer.Write(error.Message);
            writer.Write(error.Detail);
        });

    private void HandleCancel(uint callId)
    {
        CancellationTokenSource? cancellation;
        lock (_gate)
        {
            _incoming.TryGetValue(callId, out cancellation);
        }

        try
        {
            cancellation?.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The call finished meanwhile.
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Call {CallId} was cancelled by the caller")]
    private static partial void LogCallCancelled(ILogger logger, uint callId);
}
