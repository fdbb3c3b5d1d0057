namespace Tether.Remoting;

/// <summary>
/// Marks an object that is passed by reference: it stays on this side, and the peer receives a
/// <see cref="RemoteReference"/> through which it calls it. The methods a peer may call are those of the interfaces
/// the object implements that themselves extend <see cref="IReferenceable"/>, plus public methods marked
/// <see cref="RemoteNameAttribute"/>.
/// </summary>
/// <example>
/// <code>
/// public interface IBuildLog : IReferenceable { Task AppendAsync(string line); }
/// sealed class ConsoleLog : IBuildLog { public Task AppendAsync(string line) { Console.WriteLine(line); return Task.CompletedTask; } }
/// </code>
/// </example>
#pragma warning disable CA1040 // a marker interface is the point: it decides how objects cross the wire
public interface IReferenceable
{
}
#pragma warning restore CA1040
