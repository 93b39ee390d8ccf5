namespace WeightPort.Fuzz;

/// <summary>The mutations, in the order of the issue.</summary>
public enum MutationKind
{
    /// <summary>The seed unchanged.</summary>
    None,
    /// <summary>One to eight bit flips, half of the time near a record boundary.</summary>
    BitFlip,
    /// <summary>1, 2, 4 or 8 bytes overwritten with a boundary value (0, -1, 0x7F…, 0x80…).</summary>
    InterestingBytes,
    /// <summary>Cut at a record boundary (or one byte either side).</summary>
    TruncateAtBoundary,
    /// <summary>Cut at a random point.</summary>
    TruncateRandom,
    /// <summary>The head of one seed followed by the tail of another, cut at boundaries or random points.</summary>
    Splice,
    /// <summary>A length, size, count, offset or index field rewritten with a larger (or wrapped) value in its own encoding.</summary>
    InflateField,
    /// <summary>A zip rewritten with its entries in another order and offsets fixed.</summary>
    ReorderZip,
    /// <summary>A byte range deleted, duplicated or replaced by random bytes.</summary>
    Chunk,
    /// <summary>One whole record (between two adjacent boundaries) removed.</summary>
    RemoveRecord,
    /// <summary>A stack-neutral pickle fragment (deep nesting, long memoized keys, sharing) inserted at an opcode boundary of a pickle or legacy seed.</summary>
    PickleFragment,
}
