using System.Reflection;
using Tether.Internal;

namespace Tether.Remoting;

/// <summary>
/// One remotely callable method: which parameters come off the wire, which are supplied here (the call's
/// <see cref="CancellationToken"/>, the calling <see cref="TetherSession"/>), and how to get its result once it ran.
/// </summary>
internal sealed class RemoteMethod
{
    private readonly MethodInvoker _invoker;
    private readonly ParameterInfo[] _parameters;
    private readonly int[] _wireToParameter;
    private readonly Func<object?, ValueTask<object?>> _awaitResult;
    private readonly bool _wireArgumentsAreAll; // nothing to inject: the wire arguments can be the invocation's

    public RemoteMethod(MethodInfo method, string wireName)
    {
        _invoker = MethodInvoker.Create(method);
        WireName = wireName;
        _parameters = method.GetParameters();
        _wireToParameter = [.. _parameters.Where(p => !IsSupplied(p.ParameterType)).Select(p => p.Position)];
        WireParameterTypes = [.. _wireToParameter.Select(i => _parameters[i].ParameterType)];
        RequiredWireParameters = _wireToParameter.Count(i => !_parameters[i].HasDefaultValue);
        TakesCancellation = _parameters.Any(p => p.ParameterType == typeof(CancellationToken));
        _awaitResult = ResultAwaiter.For(method.ReturnType);
        _wireArgumentsAreAll = _wireToParameter.Length == _parameters.Length;
    }

    public string WireName { get; }

    /// <summary>The types of the arguments the caller sends, in order.</summary>
    public Type[] WireParameterTypes { get; }

    /// <summary>How many of the wire parameters have no default value.</summary>
    public int RequiredWireParameters { get; }

    /// <summary>True when the method accepts a <see cref="CancellationToken"/>, so a caller's cancel can reach it.</summary>
    public bool TakesCancellation { get; }

    public bool Accepts(int argumentCount) => argumentCount >= RequiredWireParameters && argumentCount <= WireParameterTypes.Length;

    /// <summary>Calls the method; the task completes with its result (null for none).</summary>
    /// <exception cref="TargetInvocationException">Never: the method's own exception is what the task or call throws.</exception>
    public ValueTask<object?> InvokeAsync(object target, Span<object?> wireArguments, TetherSession session, CancellationToken cancellationToken)
    {
        var withSupplied = default(ObjectSlots); // MethodInvoker copies the values into the parameters
        scoped Span<object?> arguments;
        if (_wireArgumentsAreAll && wireArguments.Length == _parameters.Length)
        {
            arguments = wireArguments; // the common case: nothing to inject or default
        }
        else
        {
            arguments = withSupplied.Allocate(_parameters.Length);
            for (var i = 0; i < _parameters.Length; i++)
            {
                var type = _parameters[i].ParameterType;
                arguments[i] = type == typeof(CancellationToken) ? cancellationToken
                    : type == typeof(TetherSession) ? session
                    : _parameters[i].HasDefaultValue ? _parameters[i].DefaultValue : null;
            }

            for (var i = 0; i < wireArguments.Length; i++)
            {
                arguments[_wireToParameter[i]] = wireArguments[i];
            }
        }

        object? returned;
        try
        {
            // MethodInvoker does not wrap the method's own exceptions in TargetInvocationException.
            returned = _invoker.Invoke(target, arguments);
        }
        catch (Exception e)
        {
            return ValueTask.FromException<object?>(e);
        }

        return _awaitResult(returned);
    }

    private static bool IsSupplied(Type type) => type == typeof(CancellationToken) || type == typeof(TetherSession);
}
