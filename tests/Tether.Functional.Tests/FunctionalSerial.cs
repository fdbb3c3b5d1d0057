namespace Tether.Functional.Tests;

/// <summary>
/// Functional tests measure real time on real sockets; they run one at a time so they do not steal each other's CPU
/// (the machine has two cores).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FunctionalSerial
{
    public const string Name = "Functional";
}
