namespace WeightPort.Formats.Pickle;

/// <summary>
/// An object the pickle asked to construct with a callable that is not interpreted (not allowlisted): recorded with its
/// callable, arguments, state and items, never built. A checkpoint that needs one is refused unless the caller
/// tolerates it (<see cref="CheckpointReadOptions"/>).
/// </summary>
internal sealed class PickleObject : PickleValue
{
    internal PickleObject(PickleValue callable, PickleValue arguments, string opcode, string entry, long offset)
    {
        Callable = callable;
        Arguments = arguments;
        Opcode = opcode;
        Entry = entry;
        Offset = offset;
    }

    /// <summary>What was to be called: usually a <see cref="PickleGlobal"/>, possibly another opaque object.</summary>
    public PickleValue Callable { get; }
    /// <summary>The arguments (a tuple for REDUCE/NEWOBJ/INST/OBJ).</summary>
    public PickleValue Arguments { get; }
    /// <summary>The opcode that asked for the call: <c>REDUCE</c>, <c>NEWOBJ</c>, <c>NEWOBJ_EX</c>, <c>INST</c> or <c>OBJ</c>.</summary>
    public string Opcode { get; }
    /// <summary>The archive entry or legacy pickle it was read from.</summary>
    public string Entry { get; }
    /// <summary>Byte offset of the opcode that asked for the call.</summary>
    public long Offset { get; }
    /// <summary>The state a BUILD gave it, if any.</summary>
    public PickleValue? State { get; internal set; }
    /// <summary>Items APPEND(S) or SETITEM(S) added to it (list or dict subclasses), in order; dict items as 2-tuples.</summary>
    public IReadOnlyList<PickleValue> Items => MutableItems;

    internal List<PickleValue> MutableItems { get; } = [];

    /// <summary>The global at the root of <see cref="Callable"/> (the class or function named by the pickle).</summary>
    public PickleGlobal? Global
    {
        get
        {
            PickleValue c = Callable;
            for (int guard = 0; guard < 1000; guard++)
            {
                switch (c)
                {
                    case PickleGlobal g: return g;
                    case PickleObject o: c = o.Callable; break;
                    default: return null;
                }
            }
            return null;
        }
    }

    /// <summary>True for <c>NEWOBJ</c>/<c>NEWOBJ_EX</c>: an instance made without calling the class (<c>cls.__new__</c>); false for a call.</summary>
    public bool IsInstance => Opcode is "NEWOBJ" or "NEWOBJ_EX";

    /// <inheritdoc />
    public override string TypeName => Global?.FullName ?? "object";

    /// <inheritdoc />
    public override string Described => IsInstance ? $"an instance of '{TypeName}'" : $"the result of calling '{TypeName}' ({Opcode})";

    /// <inheritdoc />
    public override string ToString() => $"{TypeName}(…)";
}
