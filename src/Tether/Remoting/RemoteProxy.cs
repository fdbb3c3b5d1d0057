using System.Collections.Concurrent;
using System.Reflection;

namespace Tether.Remoting;

/// <summary>The base of the typed proxies made by <see cref="RemoteReference.As{T}"/>: each interface method becomes a remote call.</summary>
#pragma warning disable CA1852 // DispatchProxy derives the generated proxy classes from this one
internal class RemoteProxy : DispatchProxy
#pragma warning restore CA1852
{
    private static readonly ConcurrentDictionary<Type, IReadOnlyDictionary<MethodInfo, ProxyCall>> Plans = new();

    private IReadOnlyDictionary<MethodInfo, ProxyCall> _calls = null!;

    /// <summary>The reference the proxy calls through.</summary>
    public RemoteReference Reference { get; private set; } = null!;

    public static object Create(RemoteReference reference, Type interfaceType)
    {
        var plan = Plans.GetOrAdd(interfaceType, Plan);
        var proxy = (RemoteProxy)DispatchProxy.Create(interfaceType, typeof(RemoteProxy));
        proxy.Reference = reference;
        proxy._calls = plan;
        return proxy;
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        ArgumentNullException.ThrowIfNull(targetMethod);
        return _calls[targetMethod].Invoke(Reference, args ?? []);
    }

    private static IReadOnlyDictionary<MethodInfo, ProxyCall> Plan(Type interfaceType)
    {
        if (!interfaceType.IsInterface)
        {
            throw new NotSupportedException($"{interfaceType} is not an interface; typed proxies are made from interfaces.");
        }

        var methods = interfaceType.GetMethods().Concat(interfaceType.GetInterfaces().SelectMany(i => i.GetMethods()));
        return methods.Distinct().ToDictionary(m => m, ProxyCall.For);
    }
}

/// <summary>How one interface method becomes a call: its wire name, where its token is, and how its result is typed.</summary>
internal sealed class ProxyCall
{
    private static readonly MethodInfo TypedCall = typeof(ProxyCall).GetMethod(nameof(CallTyped), BindingFlags.NonPublic | BindingFlags.Static)!;
    private static readonly MethodInfo TypedValueCall = typeof(ProxyCall).GetMethod(nameof(CallTypedValue), BindingFlags.NonPublic | BindingFlags.Static)!;

    private readonly string _name;
    private readonly int _tokenIndex;
    private readonly Func<RemoteReference, string, object?[], CancellationToken, object> _call;

    private ProxyCall(string name, int tokenIndex, Func<RemoteReference, string, object?[], CancellationToken, object> call)
    {
        _name = name;
        _tokenIndex = tokenIndex;
        _call = call;
    }

    public static ProxyCall For(MethodInfo method)
    {
        var tokenIndex = Array.FindIndex(method.GetParameters(), p => p.ParameterType == typeof(CancellationToken));
        var returns = method.ReturnType;
        Func<RemoteReference, string, object?[], CancellationToken, object> call;
        if (returns == typeof(Task))
        {
            call = static (r, n, a, t) => r.InvokeAsync<object?>(n, a, t);
        }
        else if (returns == typeof(ValueTask))
        {
            call = static (r, n, a, t) => new ValueTask(r.InvokeAsync<object?>(n, a, t));
        }
        else if (returns.IsGenericType && returns.GetGenericTypeDefinition() == typeof(Task<>))
        {
            call = TypedCall.MakeGenericMethod(returns.GetGenericArguments()).CreateDelegate<Func<RemoteReference, string, object?[], CancellationToken, object>>();
        }
        else if (returns.IsGenericType && returns.GetGenericTypeDefinition() == typeof(ValueTask<>))
        {
            call = TypedValueCall.MakeGenericMethod(returns.GetGenericArguments()).CreateDelegate<Func<RemoteReference, string, object?[], CancellationToken, object>>();
        }
        else
        {
            throw new NotSupportedException($"{method.DeclaringType}.{method.Name} returns {returns}; remote methods return Task, Task<T>, ValueTask or ValueTask<T>.");
        }

        return new ProxyCall(MethodTable.WireName(method), tokenIndex, call);
    }

    public object Invoke(RemoteReference reference, object?[] arguments)
    {
        var token = CancellationToken.None;
        if (_tokenIndex >= 0)
        {
            token = (CancellationToken)arguments[_tokenIndex]!;
            arguments = [.. arguments[.._tokenIndex], .. arguments[(_tokenIndex + 1)..]];
        }

        return _call(reference, _name, arguments, token);
    }

    private static Task<T> CallTyped<T>(RemoteReference reference, string name, object?[] arguments, CancellationToken token) =>
        reference.InvokeAsync<T>(name, arguments, token);

    // Boxed on purpose: the proxy's Invoke returns object, and a delegate cannot return a struct as object.
#pragma warning disable CA1859
    private static object CallTypedValue<T>(RemoteReference reference, string name, object?[] arguments, CancellationToken token) =>
        new ValueTask<T>(reference.InvokeAsync<T>(name, arguments, token));
#pragma warning restore CA1859
}
