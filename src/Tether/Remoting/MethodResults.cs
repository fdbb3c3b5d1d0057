using System.Linq.Expressions;
using System.Reflection;

namespace Tether.Remoting;

/// <summary>
/// Turns what a method returned (nothing, a value, <see cref="Task"/>, <see cref="ValueTask{TResult}"/>...) into its
/// eventual result, without awaiting (or allocating) when it has already completed.
/// </summary>
internal static class MethodResults
{
    /// <summary>An expression that gives the result of <paramref name="call"/> as a <c>ValueTask&lt;object?&gt;</c>.</summary>
    public static Expression Adapt(MethodCallExpression call)
    {
        var returns = call.Type;
        if (returns == typeof(void))
        {
            return Expression.Block(call, Expression.Default(typeof(ValueTask<object?>)));
        }

        if (returns == typeof(Task) || returns == typeof(ValueTask))
        {
            return Expression.Call(typeof(MethodResults).GetMethod(nameof(Of), BindingFlags.Public | BindingFlags.Static, [returns])!, call);
        }

        if (returns.IsGenericType && (returns.GetGenericTypeDefinition() == typeof(Task<>) || returns.GetGenericTypeDefinition() == typeof(ValueTask<>)))
        {
            var name = returns.GetGenericTypeDefinition() == typeof(Task<>) ? nameof(OfTask) : nameof(OfValueTask);
            return Expression.Call(typeof(MethodResults).GetMethod(name)!.MakeGenericMethod(returns.GetGenericArguments()), call);
        }

        return Expression.New(typeof(ValueTask<object?>).GetConstructor([typeof(object)])!, Expression.Convert(call, typeof(object)));
    }

    public static ValueTask<object?> Of(Task task) => task.IsCompletedSuccessfully ? default : AwaitAsync(task);

    public static ValueTask<object?> Of(ValueTask task)
    {
        if (task.IsCompletedSuccessfully)
        {
            task.GetAwaiter().GetResult(); // a ValueTask's result is read exactly once, even when there is none
            return default;
        }

        return AwaitAsync(task.AsTask());
    }

    public static ValueTask<object?> OfTask<T>(Task<T> task) => task.IsCompletedSuccessfully ? new(task.Result) : AwaitAsync(task);

    public static ValueTask<object?> OfValueTask<T>(ValueTask<T> task) => task.IsCompletedSuccessfully ? new(task.Result) : AwaitAsync(task.AsTask());

    private static async ValueTask<object?> AwaitAsync(Task task)
    {
        await task.ConfigureAwait(false);
        return null;
    }

    private static async ValueTask<object?> AwaitAsync<T>(Task<T> task) => await task.ConfigureAwait(false);
}
