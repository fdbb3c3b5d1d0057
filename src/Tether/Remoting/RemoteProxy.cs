using System.Collections.Concurrent;
using System.Reflection;
using Tether.Internal;

namespace Tether.Remoting;

/// <summary>A typed proxy: the reference it calls through (so a proxy passed as an argument travels as that reference).</summary>
internal interface IRemoteProxy
{
    RemoteReference Reference { get; }
}

/// <summary>Makes the typed proxies of <see cref="RemoteReference.As{T}"/>: emitted classes where the runtime can emit code, else DispatchProxy.</summary>
internal static class ProxyFactory
{
    private static readonly ConcurrentDictionary<Type, Func<RemoteReference, object>> Factories = new();

    public static object Create(RemoteReference reference, Type interfaceType) => Factories.GetOrAdd(interfaceType, Plan)(reference);

    private static Func<RemoteReference, object> Plan(Type interfaceType)
    {
        if (!interfaceType.IsInterface)
        {
            throw new NotSupportedException($"{interfaceType} is not an interface; typed proxies are made from interfaces.");
        }

        var methods = interfaceType.GetMethods().Concat(interfaceType.GetInterfaces().SelectMany(i => i.GetMethods())).Distinct().ToArray();
        var calls = methods.Select(ProxyCall.For).ToArray();
        return ProxyEmitter.TryEmit(interfaceType, methods, calls) ?? RemoteProxy.Factory(interfaceType, methods, calls);
    }
}

/// <summary>The fallback proxy (by-reference parameters, runtimes without dynamic code): DispatchProxy boxes each argument into an array.</summary>
#pragma warning disable CA1852 // DispatchProxy derives the generated proxy classes from this one
internal class RemoteProxy : DispatchProxy, IRemoteProxy
#pragma warning restore CA1852
{
    private Dictionary<MethodInfo, ProxyCall> _calls = null!;

    public RemoteReference Reference { get; private set; } = null!;

    public static Func<RemoteReference, object> Factory(Type interfaceType, MethodInfo[] methods, ProxyCall[] calls)
    {
        var byMethod = methods.Zip(calls).ToDictionary(p => p.First, p => p.Second);
        return reference =>
        {
            var proxy = (RemoteProxy)DispatchProxy.Create(interfaceType, typeof(RemoteProxy));
            proxy.Reference = reference;
            proxy._calls = byMethod;
            return proxy;
        };
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        ArgumentNullException.ThrowIfNull(targetMethod);
        return _calls[targetMethod].Invoke(Reference, args ?? []);
    }
}

/// <summary>How a proxy method's task is shaped.</summary>
internal enum ReturnShape
{
    Task,
    TaskOfResult,
    ValueTask,
    ValueTaskOfResult,
}

/// <summary>How one interface method becomes a call: its wire name, where its token is, its arguments' kinds and its return's shape.</summary>
internal abstract class ProxyCall
{
    protected ProxyCall(MethodInfo method, ReturnShape shape)
    {
        var parameters = method.GetParameters();
        Name = MethodTable.WireName(method);
        TokenIndex = Array.FindIndex(parameters, p => p.ParameterType == typeof(CancellationToken));
        Kinds = [.. parameters.Where(p => p.Position != TokenIndex).Select(p => ArgumentKinds.For(p.ParameterType))];
        Shape = shape;
    }

    public string Name { get; }

    /// <summary>The position of the <see cref="CancellationToken"/> parameter, or -1.</summary>
    public int TokenIndex { get; }

    /// <summary>How each argument that goes on the wire travels, in order.</summary>
    public ArgumentKind[] Kinds { get; }

    public ReturnShape Shape { get; }

    public static ProxyCall For(MethodInfo method)
    {
        var returns = method.ReturnType;
        var (shape, result) =
            returns == typeof(Task) ? (ReturnShape.Task, typeof(object))
            : returns == typeof(ValueTask) ? (ReturnShape.ValueTask, typeof(object))
            : returns.IsGenericType && returns.GetGenericTypeDefinition() == typeof(Task<>) ? (ReturnShape.TaskOfResult, returns.GetGenericArguments()[0])
            : returns.IsGenericType && returns.GetGenericTypeDefinition() == typeof(ValueTask<>) ? (ReturnShape.ValueTaskOfResult, returns.GetGenericArguments()[0])
            : throw new NotSupportedException($"{method.DeclaringType}.{method.Name} returns {returns}; remote methods return Task, Task<T>, ValueTask or ValueTask<T>.");
        return (ProxyCall)Activator.CreateInstance(typeof(ProxyCall<>).MakeGenericType(result), method, shape)!;
    }

    /// <summary>The call with its arguments in an array (the DispatchProxy fallback); returns the method's task.</summary>
    public abstract object Invoke(RemoteReference reference, object?[] arguments);
}

/// <summary>A proxy method whose result is a <typeparamref name="TResult"/> (<see cref="object"/> for none).</summary>
internal sealed class ProxyCall<TResult>(MethodInfo method, ReturnShape shape) : ProxyCall(method, shape)
{
    /// <summary>The call for a method returning <see cref="Task{TResult}"/> or <see cref="Task"/> (emitted proxies).</summary>
    public Task<TResult> Call(RemoteReference reference, ref ArgumentSlots arguments, CancellationToken cancellationToken) =>
        reference.InvokeAsync<TResult>(Name, new CallArguments(arguments, Kinds), cancellationToken);

    /// <summary>The call for a method returning <see cref="ValueTask{TResult}"/> (emitted proxies).</summary>
    public ValueTask<TResult> CallValueTask(RemoteReference reference, ref ArgumentSlots arguments, CancellationToken cancellationToken) =>
        reference.InvokeValueTaskAsync<TResult>(Name, new CallArguments(arguments, Kinds), cancellationToken);

    /// <summary>The call for a method returning <see cref="ValueTask"/> (emitted proxies).</summary>
    public ValueTask CallValueTaskWithoutResult(RemoteReference reference, ref ArgumentSlots arguments, CancellationToken cancellationToken) =>
        reference.InvokeValueTaskWithoutResultAsync(Name, new CallArguments(arguments, Kinds), cancellationToken);

    public override object Invoke(RemoteReference reference, object?[] arguments)
    {
        var token = CancellationToken.None;
        if (TokenIndex >= 0)
        {
            token = (CancellationToken)arguments[TokenIndex]!;
            arguments = [.. arguments[..TokenIndex], .. arguments[(TokenIndex + 1)..]];
        }

        var task = reference.InvokeAsync<TResult>(Name, new CallArguments(arguments), token);
        return Shape switch
        {
            ReturnShape.ValueTask => new ValueTask(task),
            ReturnShape.ValueTaskOfResult => new ValueTask<TResult>(task),
            _ => task,
        };
    }
}
