using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Text;
using Tether.Protocol;

namespace Tether.Remoting;

/// <summary>
/// The remotely callable methods of one type, by wire name, built once per type. For referenceables: the methods of
/// interfaces extending <see cref="IReferenceable"/> and public methods marked <see cref="RemoteNameAttribute"/>; for
/// replicas: public <c>ObserveXxx</c> methods (wire name <c>Xxx</c>).
/// </summary>
internal sealed class MethodTable
{
    private const string ObservePrefix = "Observe";
    private static readonly ConcurrentDictionary<Type, MethodTable> Referenceables = new();
    private static readonly ConcurrentDictionary<Type, MethodTable> Replicas = new();

    private readonly Dictionary<string, RemoteMethod[]>.AlternateLookup<ReadOnlySpan<char>> _byChars;

    private MethodTable(Type type, IEnumerable<(MethodInfo Method, string Name)> methods)
    {
        Type = type;
        _byChars = methods
            .GroupBy(m => m.Name, StringComparer.OrdinalIgnoreCase)
            .ToDictionary(g => g.Key, g => g.Select(m => new RemoteMethod(m.Method, m.Name)).ToArray(), StringComparer.OrdinalIgnoreCase)
            .GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public Type Type { get; }

    public static MethodTable ForReferenceable(Type type) => Referenceables.GetOrAdd(type, static t => new MethodTable(t, CallableMethods(t)));

    public static MethodTable ForReplica(Type type) => Replicas.GetOrAdd(type, static t => new MethodTable(t, ObserverMethods(t)));

    /// <summary>The wire name of a method: its <see cref="RemoteNameAttribute"/>, else its name without <c>Async</c>.</summary>
    public static string WireName(MethodInfo method) =>
        method.GetCustomAttribute<RemoteNameAttribute>()?.Name
        ?? (method.Name.EndsWith("Async", StringComparison.Ordinal) && method.Name.Length > 5 ? method.Name[..^5] : method.Name);

    /// <summary>Finds the method named <paramref name="utf8Name"/> (as read off the wire) taking <paramref name="argumentCount"/> arguments.</summary>
    public bool TryFind(ReadOnlySpan<byte> utf8Name, int argumentCount, [NotNullWhen(true)] out RemoteMethod? method, out string? refusal)
    {
        method = null;
        if (!Utf8Names.TryGetValue(_byChars, utf8Name, out var overloads))
        {
            refusal = $"{Type.Name} has no remote method '{Encoding.UTF8.GetString(utf8Name)}'";
            return false;
        }

        foreach (var overload in overloads)
        {
            if (overload.Accepts(argumentCount))
            {
                method = overload;
                break;
            }
        }

        refusal = method is null ? $"{Type.Name}.{Encoding.UTF8.GetString(utf8Name)} takes {string.Join(" or ", overloads.Select(o => o.WireParameterTypes.Length))} arguments, not {argumentCount}" : null;
        return method is not null;
    }

    private static IEnumerable<(MethodInfo, string)> CallableMethods(Type type)
    {
        var seen = new HashSet<MethodInfo>();
        foreach (var contract in type.GetInterfaces().Where(i => i != typeof(IReferenceable) && typeof(IReferenceable).IsAssignableFrom(i)))
        {
            foreach (var method in contract.GetMethods())
            {
                if (seen.Add(method))
                {
                    yield return (method, WireName(method));
                }
            }
        }

        foreach (var method in type.GetMethods(BindingFlags.Public | BindingFlags.Instance))
        {
            if (method.GetCustomAttribute<RemoteNameAttribute>() is not null && seen.Add(method))
            {
                yield return (method, WireName(method));
            }
        }
    }

    private static IEnumerable<(MethodInfo, string)> ObserverMethods(Type type)
    {
        foreach (var method in type.GetMethods(BindingFlags.Public | BindingFlags.Instance))
        {
            if (method.GetCustomAttribute<RemoteNameAttribute>() is { } named)
            {
                yield return (method, named.Name);
            }
            else if (method.Name.StartsWith(ObservePrefix, StringComparison.Ordinal) && method.Name.Length > ObservePrefix.Length)
            {
                var name = method.Name[ObservePrefix.Length..];
                yield return (method, name.EndsWith("Async", StringComparison.Ordinal) && name.Length > 5 ? name[..^5] : name);
            }
        }
    }
}
