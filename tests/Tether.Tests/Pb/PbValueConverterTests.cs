using System.Numerics;
using Tether.Hosting;
using Tether.Pb.Jelly;
using Tether.Pb.Remoting;
using Tether.Protocol;
using Tether.Remoting;
using Tether.Remoting.Login;

namespace Tether.Tests.Pb;

/// <summary>Reading unjellied PB values as the types .NET methods declare (no references involved: no session needed).</summary>
public sealed class PbValueConverterTests
{
    private static object? Convert(object? value, Type target) => new PbValueConverter(null!).Convert(value, target);

    [Fact]
    public void Integers_convert_to_any_integral_type_and_overflow_is_a_clear_error()
    {
        Assert.Equal(42, Convert(42L, typeof(int)));
        Assert.Equal((byte)7, Convert(7L, typeof(byte)));
        Assert.Equal(BigInteger.Pow(2, 70), Convert(BigInteger.Pow(2, 70), typeof(BigInteger)));
        Assert.Equal(3.0, Convert(3L, typeof(double)));
        Assert.Equal(DayOfWeek.Friday, Convert(5L, typeof(DayOfWeek)));
        var error = Assert.Throws<TetherSerializationException>(() => Convert(BigInteger.Pow(2, 40), typeof(int)));
        Assert.Contains("does not fit a Int32", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Python_bytes_and_str_cross_over_as_UTF8()
    {
        Assert.Equal("grüße", Convert("grüße"u8.ToArray(), typeof(string)));
        Assert.Equal("ok"u8.ToArray(), Convert("ok", typeof(byte[])));
        Assert.Null(Convert(null, typeof(string)));
        Assert.Throws<TetherSerializationException>(() => Convert(null, typeof(int)));
    }

    [Fact]
    public void Containers_convert_to_the_declared_collection_types()
    {
        var list = new List<object?> { 1L, 2L };
        Assert.Equal([1, 2], (int[])Convert(list, typeof(int[]))!);
        Assert.Equal([1L, 2L], (List<long>)Convert(new PbTuple(1L, 2L), typeof(IReadOnlyList<long>))!);
        Assert.Equal([3], (HashSet<int>)Convert(new HashSet<object>([3L]), typeof(ISet<int>))!);
        var dictionary = (Dictionary<string, List<int>>)Convert(new Dictionary<object, object?> { ["a"] = list }, typeof(Dictionary<string, List<int>>))!;
        Assert.Equal([1, 2], dictionary["a"]);
        Assert.Throws<TetherSerializationException>(() => Convert(list, typeof(Guid)));
    }

    [Fact]
    public void A_cycle_and_a_shared_container_stay_one_object()
    {
        var cyclic = new List<object?> { 1L };
        cyclic.Add(cyclic);
        var converted = (List<object?>)Convert(cyclic, typeof(object))!;
        Assert.Same(converted, converted[1]);

        var shared = new List<object?> { 5L };
        var pair = (List<object?>)Convert(new List<object?> { shared, shared }, typeof(object))!;
        Assert.Same(pair[0], pair[1]);
    }

    [Fact]
    public void An_untyped_target_keeps_PB_shapes_so_an_echo_returns_the_same_jelly()
    {
        Assert.IsType<PbTuple>(Convert(new PbTuple(1L, "x"), typeof(object)));
        Assert.IsType<byte[]>(Convert(new byte[] { 1, 2 }, typeof(object)));
        Assert.IsType<Dictionary<object, object?>>(Convert(new Dictionary<object, object?> { [1L] = null }, typeof(object)));
    }

    [Fact]
    public void A_PB_server_with_login_needs_a_password_store_with_MD5_digests_and_PB_runs_without_TLS()
    {
        var realm = new NullRealm();
        var without = new TetherServerOptions { Protocol = TwistedPb.Protocol, Login = new LoginOptions { Passwords = new InMemoryPasswordStore(), Realm = realm } };
        Assert.Contains("MD5", Assert.Throws<ArgumentException>(without.Validate).Message, StringComparison.Ordinal);

        new TetherServerOptions { Protocol = TwistedPb.Protocol, Login = new LoginOptions { Passwords = new PbCompatiblePasswordStore(), Realm = realm } }.Validate();

        var tls = new TetherClientOptions { Endpoint = new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 1), Protocol = TwistedPb.Protocol };
        tls.Connection.Tls = new Tether.Transport.TetherTlsOptions();
        Assert.Contains("TLS", Assert.Throws<ArgumentException>(tls.Validate).Message, StringComparison.Ordinal);
    }

    private sealed class NullRealm : IRealm
    {
        public ValueTask<IReferenceable> GetAvatarAsync(string userName, RemoteReference? mind, TetherSession session, CancellationToken cancellationToken) =>
            throw new NotSupportedException();
    }
}
