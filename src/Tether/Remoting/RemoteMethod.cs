using System.Linq.Expressions;
using System.Reflection;
using Nerdbank.MessagePack;
using Tether.Internal;
using Tether.Protocol;

namespace Tether.Remoting;

/// <summary>
/// One remotely callable method: which parameters come off the wire, which are supplied here (the call's
/// <see cref="CancellationToken"/>, the calling <see cref="TetherSession"/>), and how to get its result once it ran.
/// </summary>
/// <remarks>
/// The method is called through a delegate compiled at its first call that takes each argument from its slot as the
/// parameter's own type: <see cref="int"/>, <see cref="long"/>, <see cref="bool"/> and <see cref="double"/> arguments
/// travel as bits and are never boxed, and an already completed result is passed on without awaiting.
/// </remarks>
internal sealed class RemoteMethod
{
    private readonly MethodInfo _method;
    private readonly WireParameter[] _wire;
    private Invocation? _invocation;

    public RemoteMethod(MethodInfo method, string wireName)
    {
        _method = method;
        WireName = wireName;
        var parameters = method.GetParameters();
        _wire = [.. parameters.Where(p => !IsSupplied(p.ParameterType)).Select(WireParameter.For)];
        WireParameterTypes = [.. _wire.Select(p => p.Type)];
        RequiredWireParameters = _wire.Count(p => !p.HasDefault);
        TakesCancellation = parameters.Any(p => p.ParameterType == typeof(CancellationToken));
    }

    /// <summary>Calls the method with its arguments taken from <paramref name="arguments"/>; the task completes with its result.</summary>
    private delegate ValueTask<object?> Invocation(object target, ref ArgumentSlots arguments, TetherSession session, CancellationToken cancellationToken);

    public string WireName { get; }

    /// <summary>The types of the arguments the caller sends, in order.</summary>
    public Type[] WireParameterTypes { get; }

    /// <summary>How many of the wire parameters have no default value.</summary>
    public int RequiredWireParameters { get; }

    /// <summary>True when the method accepts a <see cref="CancellationToken"/>, so a caller's cancel can reach it.</summary>
    public bool TakesCancellation { get; }

    public bool Accepts(int argumentCount) => argumentCount >= RequiredWireParameters && argumentCount <= _wire.Length;

    /// <summary>
    /// Reads <paramref name="count"/> arguments (which <see cref="Accepts"/> allowed), each as its parameter's type, and
    /// puts the defaults of the optional parameters the caller left out in their slots.
    /// </summary>
    /// <exception cref="TetherSerializationException">An argument does not fit its parameter or is malformed.</exception>
    public void ReadArguments(ref MessagePackReader reader, ValueReader values, int count, ref ArgumentSlots arguments)
    {
        arguments.Allocate(_wire.Length);
        PutDefaults(count, ref arguments);
        for (var i = 0; i < count; i++)
        {
            values.ReadInto(ref reader, ref arguments, i, _wire[i].Kind, _wire[i].Type);
        }
    }

    /// <summary>Puts arguments already converted to their parameters' types (a PB call's) in their slots, like <see cref="ReadArguments"/>.</summary>
    public void PutArguments(ReadOnlySpan<object?> values, ref ArgumentSlots arguments)
    {
        arguments.Allocate(_wire.Length);
        PutDefaults(values.Length, ref arguments);
        for (var i = 0; i < values.Length; i++)
        {
            arguments.Put(i, _wire[i].Kind, values[i]);
        }
    }

    /// <summary>Calls the method on the arguments <see cref="ReadArguments"/> put in <paramref name="arguments"/>; the task completes with its result (null for none).</summary>
    public ValueTask<object?> InvokeAsync(object target, ref ArgumentSlots arguments, TetherSession session, CancellationToken cancellationToken)
    {
        try
        {
            // Compiled once; two threads racing here compile twice and keep either, which is harmless.
            var invocation = _invocation ??= Compile();
            return invocation(target, ref arguments, session, cancellationToken);
        }
        catch (Exception e)
        {
            // The compiled call does not wrap the method's own exceptions; the task carries them to the caller.
            return ValueTask.FromException<object?>(e);
        }
    }

    private void PutDefaults(int from, ref ArgumentSlots arguments)
    {
        for (var i = from; i < _wire.Length; i++)
        {
            arguments.Put(i, _wire[i].Kind, _wire[i].Default);
        }
    }

    private static bool IsSupplied(Type type) => type == typeof(CancellationToken) || type == typeof(TetherSession);

    private Invocation Compile()
    {
        var target = Expression.Parameter(typeof(object), "target");
        var slots = Expression.Parameter(typeof(ArgumentSlots).MakeByRefType(), "arguments");
        var session = Expression.Parameter(typeof(TetherSession), "session");
        var token = Expression.Parameter(typeof(CancellationToken), "cancellationToken");
        var wireIndex = 0;
        var arguments = new List<Expression>();
        foreach (var parameter in _method.GetParameters())
        {
            arguments.Add(
                parameter.ParameterType == typeof(CancellationToken) ? token
                : parameter.ParameterType == typeof(TetherSession) ? session
                : _wire[wireIndex].Take(slots, wireIndex++));
        }

        var instance = _method.IsStatic ? null : Expression.Convert(target, _method.DeclaringType!);
        var call = Expression.Call(instance, _method, arguments);
        return Expression.Lambda<Invocation>(MethodResults.Adapt(call), target, slots, session, token).Compile();
    }

    /// <summary>A parameter that comes off the wire: its type, its slot and its default when the caller leaves it out.</summary>
    private sealed record WireParameter(Type Type, ArgumentKind Kind, bool HasDefault, object? Default)
    {
        public static WireParameter For(ParameterInfo parameter)
        {
            // An "in" or "ref" parameter gets a copy of the argument: what the method writes there stays here.
            var type = parameter.ParameterType.IsByRef ? parameter.ParameterType.GetElementType()! : parameter.ParameterType;

            // A value-typed parameter declared "= default" reports a null default: the slot needs a real zero.
            var fallback = parameter.HasDefaultValue && parameter.DefaultValue is not null ? parameter.DefaultValue
                : ArgumentKinds.DefaultOf(type);
            return new WireParameter(type, ArgumentKinds.For(type), parameter.HasDefaultValue, fallback);
        }

        /// <summary>The argument at <paramref name="index"/>, as the parameter's type.</summary>
        public Expression Take(ParameterExpression slots, int index) => ArgumentKinds.Take(slots, index, Type);
    }
}
