namespace WeightPort.Formats.Pickle;

/// <summary>
/// A reference to a Python global (<c>GLOBAL</c>, <c>STACK_GLOBAL</c>, <c>INST</c>, <c>OBJ</c>): a name only, never imported.
/// </summary>
internal sealed class PickleGlobal : PickleValue
{
    internal PickleGlobal(string module, string name, string entry, long offset, bool isAllowlisted)
    {
        Module = module;
        Name = name;
        Entry = entry;
        Offset = offset;
        IsAllowlisted = isAllowlisted;
    }

    /// <summary>The module, with Python 2 names mapped (<c>__builtin__</c> ⇒ <c>builtins</c>).</summary>
    public string Module { get; }
    /// <summary>The qualified name inside the module.</summary>
    public string Name { get; }
    /// <summary><c>module.name</c>.</summary>
    public string FullName => Module + "." + Name;
    /// <summary>The archive entry or legacy pickle the opcode was read from.</summary>
    public string Entry { get; }
    /// <summary>Byte offset of the opcode that named it.</summary>
    public long Offset { get; }
    /// <summary>True when the name is on WeightPort's allowlist (torch rebuild functions, storage classes, dtypes, a few builtins).</summary>
    public bool IsAllowlisted { get; }

    /// <inheritdoc />
    public override string TypeName => "global";

    /// <inheritdoc />
    public override string ToString() => FullName;
}
