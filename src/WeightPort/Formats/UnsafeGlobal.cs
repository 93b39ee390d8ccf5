namespace WeightPort.Formats;

/// <summary>A pickle global outside the allowlist: recorded, never resolved or called.</summary>
/// <param name="Module">The module part, e.g. <c>fastcore.foundation</c>.</param>
/// <param name="Name">The qualified name part, e.g. <c>L</c>.</param>
/// <param name="Path">The dotted object path where it was found (e.g. <c>opt.hypers</c>), or empty when at the root or not reachable.</param>
/// <param name="Entry">The archive entry or legacy pickle it was read from.</param>
/// <param name="Offset">Byte offset of the GLOBAL/STACK_GLOBAL opcode within <paramref name="Entry"/>.</param>
public sealed record UnsafeGlobal(string Module, string Name, string Path, string Entry, long Offset)
{
    /// <summary><c>module.name</c>.</summary>
    public string FullName => $"{Module}.{Name}";
}
