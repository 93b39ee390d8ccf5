namespace WeightPort.Formats;

/// <summary>A pickle global outside the allowlist: recorded, never resolved or called.</summary>
/// <param name="Module">The module part, e.g. <c>fastcore.foundation</c>; <see cref="DynamicName"/> for a STACK_GLOBAL whose operands are not strings.</param>
/// <param name="Name">The qualified name part, e.g. <c>L</c>.</param>
/// <param name="Path">The dotted object path where it was found (e.g. <c>opt.hypers</c>), or empty when at the root or not reachable.</param>
/// <param name="Entry">The archive entry or legacy pickle it was read from.</param>
/// <param name="Offset">Byte offset of the GLOBAL/STACK_GLOBAL/INST opcode within <paramref name="Entry"/>.</param>
public sealed record UnsafeGlobal(string Module, string Name, string Path, string Entry, long Offset)
{
    /// <summary>
    /// The module and name of a STACK_GLOBAL whose operands are not strings until the pickle runs (values fetched from
    /// attributes set earlier, for instance): which callable it names is unknowable without running it.
    /// </summary>
    public const string DynamicName = "<dynamic>";

    /// <summary><c>module.name</c>, or <see cref="DynamicName"/>.</summary>
    public string FullName => Module == DynamicName ? DynamicName : $"{Module}.{Name}";

    /// <summary>What the pickle does with it (what <c>torch.load</c> would do; WeightPort does none of it).</summary>
    public UnsafeGlobalUse Use { get; init; }
}
