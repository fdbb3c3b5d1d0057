using System.Diagnostics;
using System.Numerics;
using Tether.Pb;
using Tether.Pb.Banana;
using Tether.Pb.Jelly;
using Xunit.Abstractions;

namespace Tether.Tests.Pb;

/// <summary>
/// Random and mutated banana streams through the decoder and jelly: the only exceptions allowed are
/// <see cref="PbProtocolException"/>s, and memory grows with the bytes received, never with the lengths
/// the stream announces.
/// </summary>
public sealed class BananaFuzzTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(5);

    // Generous per-byte allowance (a two-byte token can become a list, a boxed integer, a dictionary
    // entry) plus room for exceptions; a 640 KiB buffer reserved from an announced length breaks it.
    private const int AllowedBytesPerInputByte = 256;
    private const int AllowedFixedBytes = 64 * 1024;

    private static readonly BananaOptions SmallLimits = new() { SizeLimit = 1024, MaxDepth = 16, PrefixLimit = 16 };

    [Fact]
    public void Random_and_mutated_streams_only_raise_protocol_exceptions_and_allocate_in_proportion_to_input()
    {
        var seed = Environment.TickCount;
        output.WriteLine($"seed {seed}");
        var random = new Random(seed);
        var jelly = new JellySerializer(new PbTypeRegistry()
            .RegisterCopyable("fuzz.Box", state => new Box(state.GetValueOrDefault("v")), box => new Dictionary<string, object?> { ["v"] = box.Value })
            .RegisterCacheable("fuzz.Cache"));
        var corpus = Enumerable.Range(0, 64).Select(_ => ValidStream(random, jelly)).ToList();

        var clock = Stopwatch.StartNew();
        var cases = 0;
        var violations = 0;
        var expressions = 0;
        while (clock.Elapsed < Budget)
        {
            var input = (cases % 4) switch
            {
                0 => RandomBytes(random),
                _ => Mutate(random, corpus[random.Next(corpus.Count)]),
            };
            var options = cases % 8 == 7 ? SmallLimits : BananaOptions.Default;
            var before = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                expressions += Decode(random, input, options, jelly);
            }
            catch (PbProtocolException)
            {
                violations++;
            }
            catch (Exception ex)
            {
                Assert.Fail($"seed {seed}, case {cases}: {ex.GetType()} for input {Convert.ToHexString(input)}: {ex}");
            }

            var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.True(
                allocated <= (AllowedBytesPerInputByte * (long)input.Length) + AllowedFixedBytes,
                $"seed {seed}, case {cases}: {allocated} bytes allocated for {input.Length} input bytes: {Convert.ToHexString(input)}");
            cases++;
        }

        output.WriteLine($"{cases} cases, {violations} protocol violations, {expressions} expressions decoded");
        Assert.True(cases > 1000, $"only {cases} cases ran");
        Assert.True(violations > 0 && expressions > 0);
    }

    /// <summary>Feeds the input in random pieces, unjellying every expression that completes.</summary>
    private static int Decode(Random random, byte[] input, BananaOptions options, JellySerializer jelly)
    {
        var decoder = new BananaDecoder(options) { Dialect = BananaDialect.Pb };
        var span = input.AsSpan();
        var count = 0;
        while (!span.IsEmpty)
        {
            var piece = span[..Math.Min(span.Length, 1 + random.Next(16))];
            while (!piece.IsEmpty)
            {
                if (decoder.TryReadExpression(piece, out var consumed, out var expression))
                {
                    count++;
                    jelly.Unjelly(expression);
                }

                span = span[consumed..];
                piece = piece[consumed..];
            }
        }

        return count;
    }

    private static byte[] RandomBytes(Random random)
    {
        var bytes = new byte[random.Next(1, 64)];
        random.NextBytes(bytes);

        // Bias towards the interesting region: type bytes 0x80-0x87 and small prefixes.
        for (var i = 0; i < bytes.Length; i++)
        {
            if (random.Next(3) == 0)
            {
                bytes[i] = (byte)(0x80 + random.Next(8));
            }
            else if (random.Next(2) == 0)
            {
                bytes[i] &= 0x07;
            }
        }

        return bytes;
    }

    private static byte[] Mutate(Random random, byte[] original)
    {
        var bytes = new List<byte>(original);
        var mutations = 1 + random.Next(4);
        for (var m = 0; m < mutations && bytes.Count > 0; m++)
        {
            var at = random.Next(bytes.Count);
            switch (random.Next(7))
            {
                case 0:
                    bytes[at] ^= (byte)(1 << random.Next(8));
                    break;
                case 1:
                    bytes[at] = (byte)(0x80 + random.Next(8));
                    break;
                case 2:
                    bytes.Insert(at, (byte)random.Next(256));
                    break;
                case 3:
                    bytes.RemoveRange(at, Math.Min(bytes.Count - at, 1 + random.Next(8)));
                    break;
                case 4:
                    var length = Math.Min(bytes.Count - at, 1 + random.Next(32));
                    bytes.InsertRange(random.Next(bytes.Count), bytes.GetRange(at, length));
                    break;
                case 5:
                    // A huge announced length in front of a string or list.
                    bytes.InsertRange(at, [0x7F, 0x7F, 0x7F, (byte)(random.Next(2) == 0 ? 0x82 : 0x80)]);
                    break;
                default:
                    bytes.RemoveRange(at, bytes.Count - at);
                    break;
            }
        }

        return [.. bytes];
    }

    /// <summary>A few PB-like messages carrying random jellied values.</summary>
    private static byte[] ValidStream(Random random, JellySerializer jelly)
    {
        var encoder = new BananaEncoder { Dialect = BananaDialect.Pb };
        var stream = new List<byte>();
        for (var i = 0; i < 3; i++)
        {
            var message = new List<object>
            {
                "message"u8.ToArray(), (long)i, "root"u8.ToArray(), "call"u8.ToArray(), 1L,
                jelly.Jelly(new PbTuple(RandomValue(random, 3))), jelly.Jelly(new Dictionary<object, object?>()),
            };
            stream.AddRange(encoder.Encode(message));
        }

        return [.. stream];
    }

    private static object? RandomValue(Random random, int depth)
    {
        var choice = random.Next(depth > 0 ? 14 : 8);
        switch (choice)
        {
            case 0: return null;
            case 1: return random.Next(2) == 0;
            case 2: return (long)random.Next(-1000, 1000);
            case 3: return BigInteger.Pow(7, random.Next(30, 150)) * (random.Next(2) == 0 ? 1 : -1);
            case 4: return random.NextDouble();
            case 5: return new string('é', random.Next(5));
            case 6: return new byte[random.Next(5)];
            case 7: return new PbRemote(PbObjectId.FromNumber(random.Next(1, 9)));
            case 8: return new List<object?> { RandomValue(random, depth - 1), RandomValue(random, depth - 1) };
            case 9: return new PbTuple(RandomValue(random, depth - 1));
            case 10: return new Dictionary<object, object?> { [(long)random.Next(9)] = RandomValue(random, depth - 1) };
            case 11: return new HashSet<object> { "s", 1L };
            case 12: return new Box(RandomValue(random, depth - 1));
            default:
                var shared = new List<object?> { 1L };
                shared.Add(shared);
                return new List<object?> { shared, shared };
        }
    }

    private sealed record Box(object? Value);
}
