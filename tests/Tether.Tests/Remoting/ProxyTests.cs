using System.Globalization;
using System.Reflection;
using Tether.Remoting;
using Tether.Tests.Infrastructure;

namespace Tether.Tests.Remoting;

/// <summary>
/// The caller's side of a call: typed proxies, emitted for ordinary interfaces (arguments into slots, no array or box)
/// and made by DispatchProxy where the emitter steps aside, carry every kind of argument and return alike.
/// </summary>
public sealed class ProxyTests : IAsyncLifetime
{
    private ConnectionPair _pair = null!;
    private RemoteReference _root = null!;

    public interface IBase : IReferenceable
    {
        Task<string> BaseAsync(string text);
    }

    public interface IMixed : IBase
    {
        Task<string> ScalarsAsync(int i, long l, bool b, double d);

        Task<string> ObjectsAsync(Guid id, string? text, int? maybe, DayOfWeek day);

        ValueTask<int> TwiceAsync(int x);

        ValueTask PingAsync();

        Task NothingAsync(int x);

#pragma warning disable CA1068 // on purpose: the proxy must find the token wherever it is
        Task<int> WaitAsync(int x, CancellationToken token, bool wait);
#pragma warning restore CA1068

        Task<string> RelayAsync(IBase other, string text);
    }

    /// <summary>An "in" parameter: the emitter leaves this interface to DispatchProxy.</summary>
    public interface IByReference : IReferenceable
    {
        Task<int> AddAsync(in int a, int b);
    }

    public async Task InitializeAsync()
    {
        _pair = await ConnectionPair.CreateAsync();
        TetherSession.Start(_pair.Listener, new RemotingOptions(), root: new Mixed());
        _root = TetherSession.Start(_pair.Connector, new RemotingOptions()).Root;
    }

    public async Task DisposeAsync() => await _pair.DisposeAsync();

    [Fact]
    public async Task An_emitted_proxy_carries_scalars_objects_and_nulls()
    {
        var proxy = _root.As<IMixed>();
        Assert.IsAssignableFrom<EmittedProxy>(proxy);
        Assert.Equal("-7|9223372036854775807|True|-0.5", await proxy.ScalarsAsync(-7, long.MaxValue, true, -0.5));
        Assert.Equal("0|0|False|NaN", await proxy.ScalarsAsync(0, 0, false, double.NaN));
        var id = Guid.NewGuid();
        Assert.Equal($"{id}|hello|3|Friday", await proxy.ObjectsAsync(id, "hello", 3, DayOfWeek.Friday));
        Assert.Equal($"{Guid.Empty}|null|null|Sunday", await proxy.ObjectsAsync(Guid.Empty, null, null, DayOfWeek.Sunday));
    }

    [Fact]
    public async Task Every_return_shape_and_inherited_methods_work_through_an_emitted_proxy()
    {
        var proxy = _root.As<IMixed>();
        Assert.Equal(42, await proxy.TwiceAsync(21));
        await proxy.PingAsync();
        await proxy.NothingAsync(1);
        Assert.Equal("base:x", await proxy.BaseAsync("x"));
        Assert.Equal(5, await proxy.WaitAsync(5, CancellationToken.None, wait: false));
    }

    [Fact]
    public async Task A_token_in_the_middle_of_the_parameters_cancels_the_call()
    {
        using var cancel = new CancellationTokenSource();
        var waiting = _root.As<IMixed>().WaitAsync(5, cancel.Token, wait: true);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
    }

    [Fact]
    public async Task A_proxy_passed_as_an_argument_travels_as_its_reference()
    {
        // The callee gets its own object back and calls it locally.
        var proxy = _root.As<IMixed>();
        Assert.Equal("base:relayed", await proxy.RelayAsync(proxy, "relayed"));
    }

    [Fact]
    public async Task A_non_public_interface_gets_an_emitted_proxy()
    {
        var proxy = _root.As<IHidden>();
        Assert.IsAssignableFrom<EmittedProxy>(proxy);
        Assert.Equal(12, await proxy.SecretAsync(11));
    }

    [Fact]
    public async Task An_interface_the_emitter_leaves_alone_gets_a_DispatchProxy_that_works_alike()
    {
        var proxy = _root.As<IByReference>();
        Assert.IsAssignableFrom<DispatchProxy>(proxy);
        Assert.Equal(5, await proxy.AddAsync(2, 3));
    }

    [Fact]
    public void A_method_that_does_not_return_a_task_is_refused_when_the_proxy_is_made()
    {
        var error = Assert.Throws<NotSupportedException>(() => _root.As<ISynchronous>());
        Assert.Contains("remote methods return Task", error.Message);
    }

    internal interface IHidden : IReferenceable
    {
        Task<int> SecretAsync(int x);
    }

    internal interface ISynchronous : IReferenceable
    {
        int Now();
    }

    private sealed class Mixed : IMixed, IHidden, IByReference
    {
        public Task<string> BaseAsync(string text) => Task.FromResult("base:" + text);

        public Task<string> ScalarsAsync(int i, long l, bool b, double d) =>
            Task.FromResult(string.Create(CultureInfo.InvariantCulture, $"{i}|{l}|{b}|{d:R}"));

        public Task<string> ObjectsAsync(Guid id, string? text, int? maybe, DayOfWeek day) =>
            Task.FromResult($"{id}|{text ?? "null"}|{maybe?.ToString(CultureInfo.InvariantCulture) ?? "null"}|{day}");

        public ValueTask<int> TwiceAsync(int x) => ValueTask.FromResult(2 * x);

        public ValueTask PingAsync() => ValueTask.CompletedTask;

        public Task NothingAsync(int x) => Task.CompletedTask;

#pragma warning disable CA1068
        public async Task<int> WaitAsync(int x, CancellationToken token, bool wait)
#pragma warning restore CA1068
        {
            if (wait)
            {
                await Task.Delay(Timeout.Infinite, token);
            }

            return x;
        }

        public Task<string> RelayAsync(IBase other, string text) => other.BaseAsync(text);

        public Task<int> SecretAsync(int x) => Task.FromResult(x + 1);

        public Task<int> AddAsync(in int a, int b) => Task.FromResult(a + b);
    }
}
