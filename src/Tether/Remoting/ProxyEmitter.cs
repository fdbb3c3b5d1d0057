using System.Diagnostics.CodeAnalysis;
using System.Linq.Expressions;
using System.Reflection;
using System.Reflection.Emit;
using System.Runtime.CompilerServices;
using Tether.Internal;

namespace Tether.Remoting;

/// <summary>The base of emitted proxies: the fields their methods read.</summary>
internal abstract class EmittedProxy : IRemoteProxy
{
    internal readonly RemoteReference Target;
    internal readonly ProxyCall[] Calls;

    protected EmittedProxy(RemoteReference target, ProxyCall[] calls)
    {
        Target = target;
        Calls = calls;
    }

    public RemoteReference Reference => Target;
}

/// <summary>
/// Emits a class per interface whose methods put their arguments straight into <see cref="ArgumentSlots"/> (the scalars as
/// bits) and call their <see cref="ProxyCall{TResult}"/>: no argument array and no boxed <see cref="int"/>, as
/// DispatchProxy makes for every call. Interfaces it cannot implement this way get the DispatchProxy fallback.
/// </summary>
internal static class ProxyEmitter
{
    private static readonly MethodInfo Allocate = typeof(ArgumentSlots).GetMethod(nameof(ArgumentSlots.Allocate))!;
    private static readonly MethodInfo ObjectSlot = typeof(ArgumentSlots).GetMethod(nameof(ArgumentSlots.Object))!;
    private static readonly MethodInfo ScalarSlot = typeof(ArgumentSlots).GetMethod(nameof(ArgumentSlots.Scalar))!;
    private static readonly MethodInfo DoubleBits = typeof(BitConverter).GetMethod(nameof(BitConverter.DoubleToInt64Bits))!;
    private static readonly MethodInfo NoToken = typeof(CancellationToken).GetProperty(nameof(CancellationToken.None))!.GetMethod!;
    private static readonly FieldInfo TargetField = typeof(EmittedProxy).GetField(nameof(EmittedProxy.Target), BindingFlags.Instance | BindingFlags.NonPublic)!;
    private static readonly FieldInfo CallsField = typeof(EmittedProxy).GetField(nameof(EmittedProxy.Calls), BindingFlags.Instance | BindingFlags.NonPublic)!;
    private static readonly ConstructorInfo BaseConstructor = typeof(EmittedProxy).GetConstructors(BindingFlags.Instance | BindingFlags.NonPublic).Single();
    private static int s_assemblies;

    /// <summary>A factory of emitted proxies for <paramref name="interfaceType"/>, or null when it needs the fallback.</summary>
    [UnconditionalSuppressMessage("AOT", "IL3050", Justification = "Checked: only runs where dynamic code is supported.")]
    public static Func<RemoteReference, object>? TryEmit(Type interfaceType, MethodInfo[] methods, ProxyCall[] calls)
    {
        if (!RuntimeFeature.IsDynamicCodeSupported || interfaceType.ContainsGenericParameters || !methods.All(CanEmit))
        {
            return null;
        }

        var type = Emit(interfaceType, methods, calls);
        var reference = Expression.Parameter(typeof(RemoteReference));
        var create = Expression.Lambda<Func<RemoteReference, object>>(
            Expression.New(type.GetConstructor([typeof(RemoteReference), typeof(ProxyCall[])])!, reference, Expression.Constant(calls)),
            reference).Compile();
        return create;
    }

    private static bool CanEmit(MethodInfo method) =>
        !method.IsGenericMethodDefinition && method.GetParameters().All(p => !p.ParameterType.IsByRef && !p.ParameterType.IsPointer && !p.ParameterType.IsByRefLike);

    private static Type Emit(Type interfaceType, MethodInfo[] methods, ProxyCall[] calls)
    {
        var name = new AssemblyName($"Tether.Proxies.{Interlocked.Increment(ref s_assemblies)}");
        var assembly = AssemblyBuilder.DefineDynamicAssembly(name, AssemblyBuilderAccess.Run);
        var module = assembly.DefineDynamicModule(name.Name!);

        // The proxy derives from Tether's internal base and may implement a non-public interface: the runtime lets a
        // dynamic assembly do both when it names the assemblies in IgnoresAccessChecksToAttribute (as DispatchProxy does).
        var ignoresAccessChecks = DefineIgnoresAccessChecksTo(module);
        foreach (var granted in new[] { typeof(EmittedProxy).Assembly, interfaceType.Assembly }.Distinct())
        {
            assembly.SetCustomAttribute(new CustomAttributeBuilder(ignoresAccessChecks, [granted.GetName().Name!]));
        }

        var type = module.DefineType($"{interfaceType.Name}Proxy", TypeAttributes.Public | TypeAttributes.Sealed | TypeAttributes.Class, typeof(EmittedProxy), [interfaceType]);
        var constructor = type.DefineConstructor(MethodAttributes.Public, CallingConventions.Standard, [typeof(RemoteReference), typeof(ProxyCall[])]);
        var il = constructor.GetILGenerator();
        il.Emit(OpCodes.Ldarg_0);
        il.Emit(OpCodes.Ldarg_1);
        il.Emit(OpCodes.Ldarg_2);
        il.Emit(OpCodes.Call, BaseConstructor);
        il.Emit(OpCodes.Ret);

        for (var i = 0; i < methods.Length; i++)
        {
            EmitMethod(type, methods[i], i, calls[i]);
        }

        return type.CreateType();
    }

    private static void EmitMethod(TypeBuilder type, MethodInfo method, int index, ProxyCall call)
    {
        var parameters = method.GetParameters();
        var builder = type.DefineMethod(
            $"{method.DeclaringType!.FullName}.{method.Name}",
            MethodAttributes.Private | MethodAttributes.Virtual | MethodAttributes.Final | MethodAttributes.HideBySig | MethodAttributes.NewSlot,
            method.ReturnType,
            [.. parameters.Select(p => p.ParameterType)]);
        var il = builder.GetILGenerator();
        var slots = il.DeclareLocal(typeof(ArgumentSlots));
        il.Emit(OpCodes.Ldloca, slots);
        il.Emit(OpCodes.Ldc_I4, call.Kinds.Length);
        il.Emit(OpCodes.Call, Allocate);

        var wire = 0;
        foreach (var parameter in parameters.Where(p => p.Position != call.TokenIndex))
        {
            var kind = call.Kinds[wire];
            il.Emit(OpCodes.Ldloca, slots);
            il.Emit(OpCodes.Ldc_I4, wire++);
            il.Emit(OpCodes.Call, kind == ArgumentKind.Object ? ObjectSlot : ScalarSlot);
            il.Emit(OpCodes.Ldarg, (short)(parameter.Position + 1));
            switch (kind)
            {
                case ArgumentKind.Int32:
                    il.Emit(OpCodes.Conv_I8);
                    break;
                case ArgumentKind.Boolean:
                    il.Emit(OpCodes.Conv_U8);
                    break;
                case ArgumentKind.Double:
                    il.Emit(OpCodes.Call, DoubleBits);
                    break;
                case ArgumentKind.Object when parameter.ParameterType.IsValueType:
                    il.Emit(OpCodes.Box, parameter.ParameterType);
                    break;
            }

            il.Emit(kind == ArgumentKind.Object ? OpCodes.Stind_Ref : OpCodes.Stind_I8);
        }

        var callType = call.GetType();
        il.Emit(OpCodes.Ldarg_0);
        il.Emit(OpCodes.Ldfld, CallsField);
        il.Emit(OpCodes.Ldc_I4, index);
        il.Emit(OpCodes.Ldelem_Ref);
        il.Emit(OpCodes.Castclass, callType);
        il.Emit(OpCodes.Ldarg_0);
        il.Emit(OpCodes.Ldfld, TargetField);
        il.Emit(OpCodes.Ldloca, slots);
        if (call.TokenIndex >= 0)
        {
            il.Emit(OpCodes.Ldarg, (short)(call.TokenIndex + 1));
        }
        else
        {
            il.Emit(OpCodes.Call, NoToken);
        }

        var invoke = call.Shape switch
        {
            ReturnShape.ValueTaskOfResult => nameof(ProxyCall<object>.CallValueTask),
            ReturnShape.ValueTask => nameof(ProxyCall<object>.CallValueTaskWithoutResult),
            _ => nameof(ProxyCall<object>.Call),
        };
        il.Emit(OpCodes.Callvirt, callType.GetMethod(invoke)!);
        il.Emit(OpCodes.Ret);
        type.DefineMethodOverride(builder, method);
    }

    private static ConstructorInfo DefineIgnoresAccessChecksTo(ModuleBuilder module)
    {
        var attribute = module.DefineType(
            "System.Runtime.CompilerServices.IgnoresAccessChecksToAttribute", TypeAttributes.Public | TypeAttributes.Sealed | TypeAttributes.Class, typeof(Attribute));
        var constructor = attribute.DefineConstructor(MethodAttributes.Public, CallingConventions.Standard, [typeof(string)]);
        var il = constructor.GetILGenerator();
        il.Emit(OpCodes.Ldarg_0);
        il.Emit(OpCodes.Call, typeof(Attribute).GetConstructor(BindingFlags.Instance | BindingFlags.NonPublic, Type.EmptyTypes)!);
        il.Emit(OpCodes.Ret);
        return attribute.CreateType().GetConstructor([typeof(string)])!;
    }
}
