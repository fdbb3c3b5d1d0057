namespace Tether.Bench.Rpc;

/// <summary>The data every contender sends, so all carry the same bytes.</summary>
internal static class BenchData
{
    /// <summary>The 32-byte string of unary_small and callbacks.</summary>
    public const string SmallText = "tether-bench-32-byte-string-0123";

    /// <summary>Size of the payload_1mb argument.</summary>
    public const int PayloadBytes = 1_000_000;

    /// <summary>Unanswered calls a callback sender keeps in flight when its callbacks are answered (Tether).</summary>
    public const int CallbackWindow = 256;

    /// <summary>A check that the server answered what was asked; cheap, so it stays in the measured loop.</summary>
    /// <exception cref="InvalidOperationException">The answer is wrong.</exception>
    public static void Verify(bool correct, string what)
    {
        if (!correct)
        {
            throw new InvalidOperationException($"Wrong answer from the server: {what}.");
        }
    }
}
