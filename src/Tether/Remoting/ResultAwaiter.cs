using System.Collections.Concurrent;
using System.Reflection;

namespace Tether.Remoting;

/// <summary>Turns whatever a method returned (a value, <see cref="Task"/>, <see cref="ValueTask{TResult}"/>...) into its eventual result.</summary>
internal static class ResultAwaiter
{
    private static readonly ConcurrentDictionary<Type, Func<Task, object?>> TaskResults = new();
    private static readonly MethodInfo ResultOfTask = typeof(ResultAwaiter).GetMethod(nameof(ResultOfTaskCore), BindingFlags.NonPublic | BindingFlags.Static)!;
    private static readonly MethodInfo AsTaskOfValueTask = typeof(ResultAwaiter).GetMethod(nameof(ValueTaskToTask), BindingFlags.NonPublic | BindingFlags.Static)!;

    public static Func<object?, ValueTask<object?>> For(Type returnType)
    {
        if (returnType == typeof(void))
        {
            return static _ => ValueTask.FromResult<object?>(null);
        }

        if (returnType == typeof(Task) || returnType == typeof(ValueTask))
        {
            return static returned => AwaitAsync(returned is ValueTask valueTask ? valueTask.AsTask() : (Task)returned!, null);
        }

        if (returnType.IsGenericType && returnType.GetGenericTypeDefinition() == typeof(Task<>))
        {
            var result = ResultOf(returnType);
            return returned => AwaitAsync((Task)returned!, result);
        }

        if (returnType.IsGenericType && returnType.GetGenericTypeDefinition() == typeof(ValueTask<>))
        {
            var toTask = AsTaskOfValueTask.MakeGenericMethod(returnType.GetGenericArguments()[0]).CreateDelegate<Func<object, Task>>();
            var result = ResultOf(typeof(Task<>).MakeGenericType(returnType.GetGenericArguments()));
            return returned => AwaitAsync(toTask(returned!), result);
        }

        return static returned => ValueTask.FromResult(returned);
    }

    private static async ValueTask<object?> AwaitAsync(Task task, Func<Task, object?>? result)
    {
        await task.ConfigureAwait(false);
        return result?.Invoke(task);
    }

    private static Func<Task, object?> ResultOf(Type taskType) => TaskResults.GetOrAdd(taskType, static type =>
        ResultOfTask.MakeGenericMethod(type.GetGenericArguments()).CreateDelegate<Func<Task, object?>>());

    private static object? ResultOfTaskCore<T>(Task task) => ((Task<T>)task).Result;

    private static Task<T> ValueTaskToTask<T>(object valueTask) => ((ValueTask<T>)valueTask).AsTask();
}
