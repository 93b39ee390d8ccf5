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
    /// <summary><c>module.name</c>, or <see cref="UnsafeGlobal.DynamicName"/> for a STACK_GLOBAL whose operands were not strings.</summary>
    public string FullName => IsDynamic ? UnsafeGlobal.DynamicName : Module + "." + Name;
    /// <summary>True for a STACK_GLOBAL whose module and name were not strings (see <see cref="UnsafeGlobal.DynamicName"/>).</summary>
    public bool IsDynamic => Module == UnsafeGlobal.DynamicName;
    /// <summary>The archive entry or legacy pickle the opcode was read from.</summary>
    public string Entry { get; }
    /// <summary>Byte offset of the opcode that named it.</summary>
    public long Offset { get; }
    /// <summary>True when the name is on WeightPort's allowlist (torch rebuild functions, storage classes, dtypes, a few builtins).</summary>
    public bool IsAllowlisted { get; }

    /// <summary>The most code-like thing the pickle does with it (a global can be named once and used several times through the memo).</summary>
    public UnsafeGlobalUse Use { get; private set; }

    /// <summary>The opcode of that use (<c>REDUCE</c>, <c>NEWOBJ</c>, <c>BUILD</c> …), or null when only referenced.</summary>
    public string? UsedBy { get; private set; }

    /// <summary>The state a BUILD gave the global itself (attributes set on it), if any.</summary>
    public PickleValue? State { get; private set; }

    /// <summary>True when reading must not accept it without the caller's say-so: not allowlisted, or allowlisted but modified.</summary>
    public bool IsUnsafe => !IsAllowlisted || Use == UnsafeGlobalUse.Modified;

    internal void MarkUse(UnsafeGlobalUse use, string opcode)
    {
        if (use <= Use && UsedBy is not null) return;
        Use = use;
        UsedBy = opcode;
    }

    internal void SetState(PickleValue state)
    {
        State = state;
        MarkUse(UnsafeGlobalUse.Modified, "BUILD");
    }

    /// <inheritdoc />
    public override string TypeName => "global";

    /// <inheritdoc />
    public override string Described => $"the global '{FullName}'";

    /// <inheritdoc />
    public override string ToString() => FullName;
}
