using System.Globalization;
using Tether.Remoting;
using Tether.Tests.Infrastructure;

namespace Tether.Tests.Remoting;

/// <summary>
/// The callee's side of a call: each kind of parameter (the scalars that travel unboxed, objects, optional ones,
/// supplied ones) gets its value, and each kind of return gives its result or its error.
/// </summary>
public sealed class MethodInvocationTests : IAsyncLifetime
{
    private ConnectionPair _pair = null!;
    private RemoteReference _root = null!;

    public interface IShapes : IReferenceable
    {
        Task<string> ScalarsAsync(int i, long l, bool b, double d);

        Task<string> OptionalAsync(string text, int count = 7, double scale = 1.5, Guid id = default, string? tail = null);

        Task<string> NullableAsync(int? value, bool? flag);

        ValueTask<int> ValueTaskResultAsync(int x);

        ValueTask NothingAsync(bool fail);

        Task<int> ThrowsSynchronouslyAsync(int x);
    }

    /// <summary>Methods only the callee's side can declare (a typed proxy needs task-returning methods and no session parameter).</summary>
    public interface ICalleeShapes : IReferenceable
    {
        int Sync(int x);

        void Fire(int x);

        Task<string> SuppliedAsync(int x, TetherSession session, CancellationToken token);
    }

    public async Task InitializeAsync()
    {
        _pair = await ConnectionPair.CreateAsync();
        TetherSession.Start(_pair.Listener, new RemotingOptions(), root: new Shapes());
        _root = TetherSession.Start(_pair.Connector, new RemotingOptions()).Root;
    }

    public async Task DisposeAsync() => await _pair.DisposeAsync();

    [Fact]
    public async Task Scalar_arguments_arrive_exactly()
    {
        var proxy = _root.As<IShapes>();
        Assert.Equal("-2147483648|9223372036854775807|True|-0", await proxy.ScalarsAsync(int.MinValue, long.MaxValue, true, -0.0));
        Assert.Equal("2147483647|-9223372036854775808|False|5E-324", await proxy.ScalarsAsync(int.MaxValue, long.MinValue, false, double.Epsilon));
        Assert.Equal("0|0|False|NaN", await proxy.ScalarsAsync(0, 0, false, double.NaN));
    }

    [Fact]
    public async Task A_scalar_sent_in_another_encoding_is_converted_as_before()
    {
        // An integer where a double is declared, and a small integer where a long is: read through the general path.
        Assert.Equal("1|2|True|3", await _root.CallAsync<string>("Scalars", 1L, 2, true, 3));
    }

    [Fact]
    public async Task An_integer_too_large_for_an_int_parameter_is_refused_and_the_connection_stays_up()
    {
        var error = await Assert.ThrowsAsync<RemoteCallException>(() => _root.CallAsync<string>("Scalars", 5_000_000_000L, 2L, true, 3.0));
        Assert.Equal(typeof(Tether.Protocol.TetherSerializationException).FullName, error.RemoteType);
        Assert.Contains("could not be read", error.Message);

        var wrongType = await Assert.ThrowsAsync<RemoteCallException>(() => _root.CallAsync<string>("Scalars", "one", 2L, true, 3.0));
        Assert.Contains("could not be read", wrongType.Message);
        Assert.Equal("1|2|True|3", await _root.CallAsync<string>("Scalars", 1, 2L, true, 3.0));
    }

    [Fact]
    public async Task Optional_parameters_the_caller_leaves_out_take_their_defaults()
    {
        Assert.Equal("a|7|1.5|00000000-0000-0000-0000-000000000000|null", await _root.CallAsync<string>("Optional", "a"));
        Assert.Equal("b|2|1.5|00000000-0000-0000-0000-000000000000|null", await _root.CallAsync<string>("Optional", "b", 2));
        var id = Guid.NewGuid();
        Assert.Equal($"c|3|0.25|{id}|end", await _root.As<IShapes>().OptionalAsync("c", 3, 0.25, id, "end"));
    }

    [Fact]
    public async Task Nullable_scalars_carry_null_and_values()
    {
        var proxy = _root.As<IShapes>();
        Assert.Equal("null|null", await proxy.NullableAsync(null, null));
        Assert.Equal("5|False", await proxy.NullableAsync(5, false));
    }

    [Fact]
    public async Task Every_kind_of_return_gives_its_result_or_its_error()
    {
        var proxy = _root.As<IShapes>();
        Assert.Equal(42, await proxy.ValueTaskResultAsync(41));
        Assert.Equal(-1, await proxy.ValueTaskResultAsync(-1)); // completes later, after a yield
        await proxy.NothingAsync(fail: false);
        var failed = await Assert.ThrowsAsync<RemoteCallException>(() => proxy.NothingAsync(fail: true).AsTask());
        Assert.Equal(typeof(InvalidOperationException).FullName, failed.RemoteType);
        Assert.Equal(9, await _root.CallAsync<int>("Sync", 3));
        Assert.Null(await _root.CallAsync<object?>("Fire", 3));

        var thrown = await Assert.ThrowsAsync<RemoteCallException>(() => proxy.ThrowsSynchronouslyAsync(3));
        Assert.Equal(typeof(ArgumentOutOfRangeException).FullName, thrown.RemoteType);
        Assert.Contains("three", thrown.Message);
    }

    [Fact]
    public async Task Supplied_parameters_are_the_callees_session_and_a_live_token()
    {
        // Only the wire argument is sent: the session and the token are the callee's own.
        Assert.Equal("4|connected|not cancelled", await _root.CallAsync<string>("Supplied", 4));
    }

    private sealed class Shapes : IShapes, ICalleeShapes
    {
        public Task<string> ScalarsAsync(int i, long l, bool b, double d) =>
            Task.FromResult(string.Create(CultureInfo.InvariantCulture, $"{i}|{l}|{b}|{d:R}"));

        public Task<string> OptionalAsync(string text, int count = 7, double scale = 1.5, Guid id = default, string? tail = null) =>
            Task.FromResult(string.Create(CultureInfo.InvariantCulture, $"{text}|{count}|{scale}|{id}|{tail ?? "null"}"));

        public Task<string> NullableAsync(int? value, bool? flag) =>
            Task.FromResult($"{value?.ToString(CultureInfo.InvariantCulture) ?? "null"}|{flag?.ToString() ?? "null"}");

        public async ValueTask<int> ValueTaskResultAsync(int x)
        {
            if (x < 0)
            {
                await Task.Yield();
                return x;
            }

            return x + 1;
        }

        public async ValueTask NothingAsync(bool fail)
        {
            await Task.Yield();
            if (fail)
            {
                throw new InvalidOperationException("asked to fail");
            }
        }

        public int Sync(int x) => x * x;

        public void Fire(int x)
        {
        }

        public Task<int> ThrowsSynchronouslyAsync(int x) => throw new ArgumentOutOfRangeException(nameof(x), "three is not allowed");

        public Task<string> SuppliedAsync(int x, TetherSession session, CancellationToken token) =>
            Task.FromResult($"{x}|{(session.IsConnected ? "connected" : "gone")}|{(token.IsCancellationRequested ? "cancelled" : "not cancelled")}");
    }
}
