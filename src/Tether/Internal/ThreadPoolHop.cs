using System.Runtime.CompilerServices;

namespace Tether.Internal;

/// <summary>
/// <c>await default(ThreadPoolHop)</c> continues on the thread pool, whatever synchronization context or task scheduler
/// the current thread has (<c>Task.Yield</c> would go back to a UI thread's context). Used by code that started on a
/// caller's thread and must not keep it.
/// </summary>
internal readonly struct ThreadPoolHop : ICriticalNotifyCompletion
{
    public bool IsCompleted => false;

    public ThreadPoolHop GetAwaiter() => this;

    public void GetResult()
    {
    }

    public void OnCompleted(Action continuation) =>
        ThreadPool.QueueUserWorkItem(static run => run(), continuation, preferLocal: false);

    public void UnsafeOnCompleted(Action continuation) =>
        ThreadPool.UnsafeQueueUserWorkItem(static run => run(), continuation, preferLocal: false);
}
