namespace Tether.Remoting;

/// <summary>
/// Names a method on the wire (by default the method's name without an <c>Async</c> suffix), and makes a public
/// method of a referenceable class callable even when no remote interface declares it.
/// </summary>
[AttributeUsage(AttributeTargets.Method, Inherited = true, AllowMultiple = false)]
public sealed class RemoteNameAttribute : Attribute
{
    /// <summary>Creates the attribute.</summary>
    /// <param name="name">The method's name on the wire.</param>
    public RemoteNameAttribute(string name)
    {
        Name = name;
    }

    /// <summary>The method's name on the wire.</summary>
    public string Name { get; }
}
