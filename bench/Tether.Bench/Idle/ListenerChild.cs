using System.Globalization;

namespace Tether.Bench.Idle;

/// <summary>
/// The listener side of the idle benchmark in a process of its own (<c>idle-listener</c>), so each side's heap is
/// measured alone. It prints <c>listening EP...</c>, then answers commands read from standard input, one a line:
/// <c>reset N</c> (wait for N warm-up connections, drop them, sample the baseline), <c>measure N</c> (wait for N
/// connections, sample), <c>observe MS</c> (CPU, PINGs and disconnects over MS milliseconds) and <c>exit</c>. Samples come back as <c>sample OPEN HEAP WORKINGSET KERNELTCP</c>.
/// </summary>
internal static class ListenerChild
{
    public const string CommandName = "idle-listener";

    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        var settings = IdleCommand.ParseSettings(args);
        FileDescriptorLimit.EnsureAtLeast(IdleCommand.FileDescriptorsNeeded(settings.Connections));
        var listeners = settings.StartListeners();
        await using var accepted = new AcceptedConnections(listeners);
        using var liveness = new LivenessCounters();
        Console.WriteLine("listening " + string.Join(' ', listeners.Select(l => l.LocalEndPoint)));
        while (await Console.In.ReadLineAsync() is { } line)
        {
            var command = line.Split(' ');
            var count = command.Length > 1 ? int.Parse(command[1], CultureInfo.InvariantCulture) : 0;
            switch (command[0])
            {
                case "reset":
                    await accepted.WaitForAsync(count, IdleCommand.AcceptTimeout);
                    await IdleConnections.AbortAllAsync(accepted.TakeAll());
                    Reply(0, MemorySample.Take());
                    break;
                case "measure":
                    await accepted.WaitForAsync(count, IdleCommand.AcceptTimeout);
                    await Task.Delay(settings.Settle);
                    Reply(accepted.CountOpen(), MemorySample.Take());
                    break;
                case "observe":
                    Console.WriteLine("observed " + (await liveness.ObserveAsync(TimeSpan.FromMilliseconds(count))).Format());
                    break;
                case "exit":
                    return 0;
                default:
                    await Console.Error.WriteLineAsync($"{CommandName}: unknown command '{line}'");
                    return 2;
            }
        }

        return 0;
    }

    private static void Reply(int open, MemorySample sample) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"sample {open} {sample.Format()}"));
}
