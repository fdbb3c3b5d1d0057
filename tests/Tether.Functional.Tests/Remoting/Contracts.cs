using Tether.Remoting;

namespace Tether.Functional.Tests.Remoting;

public interface ICalculator : IReferenceable
{
    Task<int> AddAsync(int a, int b);

    ValueTask<string> EchoAsync(string text);

    Task FailAsync(string message);

    Task<int> WaitForCancelAsync(CancellationToken cancellationToken);

    Task<IChild> GetChildAsync(string name);

    Task<int> CallBackAsync(ICallback callback, int times);

    Task<object?> RoundTripAsync(object? value);

    Task<Node> RelayNodeAsync(Node node);

    Task<Pair> RelayPairAsync(Pair pair);

    Task<int> SumAsync(IReadOnlyList<int> values, Dictionary<string, int> extra);
}

public interface IChild : IReferenceable
{
    Task<string> NameAsync();

    Task<IChild> GetChildAsync(string name);
}

public interface ICallback : IReferenceable
{
    Task<int> NotifyAsync(int sequence);
}

/// <summary>A copyable with settable members: cycles through it are rebuilt.</summary>
public sealed class Node
{
    public string Name { get; set; } = string.Empty;

    public Node? Next { get; set; }

    public List<Node> Children { get; set; } = [];
}

/// <summary>A copyable record built through its constructor.</summary>
public sealed record Pair(string Label, int[] Numbers, Pair? Inner);

/// <summary>A record never registered.</summary>
public sealed record Unregistered(int Value);

internal sealed class Child(string name) : IChild
{
    public Task<string> NameAsync() => Task.FromResult(name);

    public Task<IChild> GetChildAsync(string childName) => Task.FromResult<IChild>(new Child($"{name}/{childName}"));
}

internal sealed class Calculator : ICalculator
{
    public TaskCompletionSource<bool> CancellationSeen { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TaskCompletionSource<bool> Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<int> AddAsync(int a, int b) => Task.FromResult(a + b);

    public ValueTask<string> EchoAsync(string text) => ValueTask.FromResult(text);

    public Task FailAsync(string message) => throw new InvalidOperationException(message);

    public async Task<int> WaitForCancelAsync(CancellationToken cancellationToken)
    {
        Entered.TrySetResult(true);
        try
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
            return 0;
        }
        catch (OperationCanceledException)
        {
            CancellationSeen.TrySetResult(true);
            throw;
        }
    }

    public Task<IChild> GetChildAsync(string name) => Task.FromResult<IChild>(new Child(name));

    public async Task<int> CallBackAsync(ICallback callback, int times)
    {
        var last = 0;
        for (var i = 1; i <= times; i++)
        {
            last = await callback.NotifyAsync(i);
        }

        return last;
    }

    public Task<object?> RoundTripAsync(object? value) => Task.FromResult(value);

    public Task<Node> RelayNodeAsync(Node node) => Task.FromResult(node);

    public Task<Pair> RelayPairAsync(Pair pair) => Task.FromResult(pair);

    public Task<int> SumAsync(IReadOnlyList<int> values, Dictionary<string, int> extra) => Task.FromResult(values.Sum() + extra.Values.Sum());
}

internal sealed class CountingCallback : ICallback
{
    private int _count;

    public int Count => _count;

    public Task<int> NotifyAsync(int sequence)
    {
        Interlocked.Increment(ref _count);
        return Task.FromResult(sequence * 10);
    }
}
