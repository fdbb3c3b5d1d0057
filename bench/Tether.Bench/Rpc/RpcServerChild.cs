using System.Globalization;

namespace Tether.Bench.Rpc;

/// <summary>
/// A contender's server in a process of its own (<c>rpc-server NAME</c>). It prints <c>listening PORT</c>, then answers
/// lines on standard input: <c>stats</c> (its <see cref="ProcessStats"/>) and <c>exit</c>.
/// </summary>
internal static class RpcServerChild
{
    public const string CommandName = "rpc-server";

    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        if (args is not [var name])
        {
            throw new Cli.UsageException($"{CommandName} takes one contender name.");
        }

        await using var server = await Contenders.Find(name).StartServerAsync();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"listening {server.EndPoint.Port}"));
        while (await Console.In.ReadLineAsync() is { } line && line != "exit")
        {
            Console.WriteLine(line == "stats" ? "stats " + ProcessStats.Take().Format() : $"error unknown command '{line}'");
        }

        return 0;
    }
}
