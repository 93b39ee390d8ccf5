namespace WeightPort.Formats.Pickle;

/// <summary>
/// Bounds the unpickler checks before it allocates, so a hostile or corrupt pickle fails with
/// <see cref="CheckpointError.LimitExceeded"/> instead of exhausting memory or the call stack. String and bytes lengths are
/// additionally always checked against the bytes that remain.
/// </summary>
internal sealed record PickleLimits
{
    /// <summary>Most values on the stack at once.</summary>
    public int MaxStackDepth { get; init; } = 1 << 20;
    /// <summary>Most MARKs open at once.</summary>
    public int MaxMarkDepth { get; init; } = 1 << 16;
    /// <summary>Most memo entries, and the largest memo index accepted.</summary>
    public long MaxMemoEntries { get; init; } = 1 << 24;
    /// <summary>Most objects created in one pickle.</summary>
    public long MaxObjects { get; init; } = 50_000_000;
    /// <summary>Most items in one container.</summary>
    public int MaxContainerItems { get; init; } = 1 << 26;
    /// <summary>Deepest object nesting a reader walks (dotted path depth).</summary>
    public int MaxNestingDepth { get; init; } = 10_000;
    /// <summary>Most dimensions of a tensor.</summary>
    public int MaxTensorRank { get; init; } = 64;
    /// <summary>Largest pickle accepted, in bytes.</summary>
    public long MaxPickleBytes { get; init; } = int.MaxValue;

    /// <summary>The defaults.</summary>
    public static PickleLimits Default { get; } = new();
}
