using Nerdbank.MessagePack;
using Tether.Protocol;

namespace Tether.Remoting;

/// <summary>Calls this side makes: each waits in the pending table until exactly one of answer, error, cancel or loss settles it.</summary>
internal sealed partial class NativeSession
{
    private readonly Dictionary<uint, IPendingCall> _pending = [];
    private uint _lastCallId;

    internal override Task<T> CallAsync<T>(uint target, string method, CallArguments arguments, CancellationToken cancellationToken) =>
        Call<T>(target, method, arguments, asTask: true, cancellationToken).Result.AsTask(); // a task already: AsTask returns it

    internal override ValueTask<T> CallValueTaskAsync<T>(uint target, string method, CallArguments arguments, CancellationToken cancellationToken) =>
        Call<T>(target, method, arguments, asTask: false, cancellationToken).Result;

    internal override ValueTask CallValueTaskWithoutResultAsync(uint target, string method, CallArguments arguments, CancellationToken cancellationToken) =>
        Call<object?>(target, method, arguments, asTask: false, cancellationToken).Completion;

    private CallOutcome<T> Call<T>(uint target, string method, in CallArguments arguments, bool asTask, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return new CallOutcome<T>(ValueTask.FromCanceled<T>(cancellationToken), ValueTask.FromCanceled(cancellationToken));
        }

        var call = PendingCall<T>.Rent(asTask);
        uint callId;
        lock (_gate)
        {
            var refusal = _disconnection is { } lost ? new ConnectionLostException(lost)
                : _pending.Count >= _options.MaxOutstandingCalls ? new TetherLimitException($"{_pending.Count} calls are already waiting for answers on this connection (RemotingOptions.MaxOutstandingCalls = {_options.MaxOutstandingCalls}).")
                : (Exception?)null;
            if (refusal is not null)
            {
                call.Discard();
                return CallOutcome<T>.Failed(refusal);
            }

            callId = NextFreeId(ref _lastCallId, _pending);
            _pending.Add(callId, call);
            RemotingCounters.OutstandingCalls.Add(1);
        }

        // Read before the setup ends: from then on the call object may be settled, consumed and reused.
        var outcome = new CallOutcome<T>(call.Outcome, call.OutcomeWithoutResult);
        try
        {
            SendMessage((callId, target, method, arguments), static (ref MessagePackWriter writer, ValueWriter values, (uint CallId, uint Target, string Method, CallArguments Arguments) call) =>
            {
                writer.WriteArrayHeader(5);
                writer.Write((byte)MessageKind.Call);
                writer.Write(call.CallId);
                writer.Write(call.Target);
                writer.Write(call.Method);
                call.Arguments.Write(ref writer, values);
            });

            // Registered after the send, so a CANCEL never overtakes its CALL; a call already answered meanwhile
            // unregisters it when recycled.
            if (cancellationToken.CanBeCanceled)
            {
                call.SetRegistration(cancellationToken.UnsafeRegister(
                    static (state, token) =>
                    {
                        var (session, id) = ((NativeSession, uint))state!;
                        session.CancelCall(id, token);
                    },
                    (this, callId)));
            }
        }
        catch (Exception e)
        {
            Settle(callId)?.Fail(e);
        }
        finally
        {
            call.EndSetup();
        }

        return outcome;
    }

    /// <summary>Takes a call out of the pending table; only the one who gets it may complete it.</summary>
    private IPendingCall? Settle(uint callId)
    {
        lock (_gate)
        {
            if (_pending.Remove(callId, out var call))
            {
                RemotingCounters.OutstandingCalls.Add(-1);
                return call;
            }
        }

        return null;
    }

    private void CancelCall(uint callId, CancellationToken token)
    {
        if (Settle(callId) is not { } call)
        {
            return;
        }

        call.Cancel(token);
        Post(callId, static (ref MessagePackWriter writer, ValueWriter _, uint id) =>
        {
            writer.WriteArrayHeader(2);
            writer.Write((byte)MessageKind.Cancel);
            writer.Write(id);
        });
    }

    private void HandleAnswer(ref MessagePackReader reader)
    {
        var call = Settle(reader.ReadUInt32());
        var values = NewValueReader();
        try
        {
            // A call cancelled meanwhile still has its answer read: references in it must be counted to be released.
            var result = values.Read(ref reader, call?.ResultType ?? typeof(object));
            if (call is null)
            {
                ReleaseMessageReplicas();
                (result as IDisposable)?.Dispose();
                return;
            }

            call.Complete(result);
        }
        catch (TetherSerializationException e)
        {
            ReleaseMessageReplicas();
            call?.Fail(e);
        }
    }

    private void HandleError(ref MessagePackReader reader)
    {
        var call = Settle(reader.ReadUInt32());
        var type = reader.ReadString() ?? "Unknown";
        var message = reader.ReadString() ?? string.Empty;
        var detail = reader.TryReadNil() ? null : reader.ReadString();
        call?.Fail(new RemoteCallException(type, message, detail));
    }
}

/// <summary>A call's outcome, as the caller's method shape wants it: with its result, or only its completion.</summary>
internal readonly record struct CallOutcome<T>(ValueTask<T> Result, ValueTask Completion)
{
    public static CallOutcome<T> Failed(Exception error) => new(ValueTask.FromException<T>(error), ValueTask.FromException(error));
}
