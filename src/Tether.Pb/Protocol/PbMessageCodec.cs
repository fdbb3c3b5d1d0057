using System.Numerics;
using System.Text;

namespace Tether.Pb.Protocol;

/// <summary>Converts between <see cref="PbMessage"/> records and the banana expressions Twisted's Broker exchanges.</summary>
public static class PbMessageCodec
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The banana expression for <paramref name="message"/>.</summary>
    /// <exception cref="ArgumentException">The message is of a kind that cannot be sent (an unknown command).</exception>
    public static List<object> Encode(PbMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return message switch
        {
            PbVersion version => Expression("version", version.Version),
            PbCall call => Expression(
                call.ToCache ? "cachemessage" : "message",
                call.RequestId,
                call.Target.ToWire(),
                StrictUtf8.GetBytes(call.Method),
                call.AnswerRequired ? 1L : 0L,
                call.Arguments,
                call.KeywordArguments),
            PbAnswer answer => Expression("answer", answer.RequestId, answer.Result),
            PbError error => Expression("error", error.RequestId, error.Failure),
            PbDecRef decref => Expression("decref", decref.Id.ToWire()),
            PbDecache decache => Expression("decache", decache.Id),
            PbUncache uncache => Expression("uncache", uncache.Id),
            PbDidNotUnderstand notUnderstood => Expression("didNotUnderstand", StrictUtf8.GetBytes(notUnderstood.Command)),
            _ => throw new ArgumentException($"{message.GetType().Name} cannot be sent", nameof(message)),
        };
    }

    /// <summary>Reads a top-level expression received after dialect negotiation.</summary>
    /// <exception cref="PbProtocolException">
    /// The expression is not a command list or a known command has the wrong arguments; Twisted drops the
    /// connection in both cases (its handler raises inside <c>dataReceived</c>).
    /// </exception>
    public static PbMessage Decode(object expression)
    {
        if (expression is not IReadOnlyList<object> { Count: > 0 } list || list[0] is not byte[] commandBytes)
        {
            throw new PbProtocolException($"a PB message must be a list starting with a command: {PbRepr.Format(expression)}");
        }

        var command = Encoding.UTF8.GetString(commandBytes);
        return command switch
        {
            "version" => new PbVersion(Integer(Arguments(list, 1)[0], command)),
            "message" or "cachemessage" => Call(list, command),
            "answer" => new PbAnswer(Integer(Arguments(list, 2)[0], command), list[2]),
            "error" => new PbError(Integer(Arguments(list, 2)[0], command), list[2]),
            "decref" => new PbDecRef(ObjectId(Arguments(list, 1)[0], command)),
            "decache" => new PbDecache(Integer(Arguments(list, 1)[0], command)),
            "uncache" => new PbUncache(Integer(Arguments(list, 1)[0], command)),
            "didNotUnderstand" => new PbDidNotUnderstand(Text(Arguments(list, 1)[0], command)),
            _ => new PbUnknownCommand(command, [.. list.Skip(1)]),
        };
    }

    private static PbCall Call(IReadOnlyList<object> list, string command)
    {
        var arguments = Arguments(list, 6);
        return new PbCall(
            Integer(arguments[0], command),
            ObjectId(arguments[1], command),
            Text(arguments[2], command),
            AnswerRequired: Integer(arguments[3], command) != 0,
            arguments[4],
            arguments[5],
            ToCache: command == "cachemessage");
    }

    private static IReadOnlyList<object> Arguments(IReadOnlyList<object> list, int count) =>
        list.Count == count + 1
            ? [.. list.Skip(1)]
            : throw new PbProtocolException($"\"{PbRepr.Format(list[0])}\" takes {count} argument(s), got {list.Count - 1}");

    private static long Integer(object value, string command) => value switch
    {
        long number => number,
        BigInteger => throw new PbProtocolException($"integer out of range in \"{command}\""),
        _ => throw new PbProtocolException($"\"{command}\" expected an integer, got {PbRepr.Format(value)}"),
    };

    private static PbObjectId ObjectId(object value, string command)
    {
        try
        {
            return PbObjectId.FromWire(value);
        }
        catch (Jelly.JellyException ex)
        {
            throw new PbProtocolException($"\"{command}\": {ex.Message}", ex);
        }
    }

    private static string Text(object value, string command)
    {
        try
        {
            return value is byte[] bytes ? StrictUtf8.GetString(bytes) : throw new PbProtocolException($"\"{command}\" expected a string, got {PbRepr.Format(value)}");
        }
        catch (DecoderFallbackException ex)
        {
            throw new PbProtocolException($"\"{command}\": invalid UTF-8", ex);
        }
    }

    private static List<object> Expression(string command, params object[] arguments) =>
        [Encoding.ASCII.GetBytes(command), .. arguments];
}
