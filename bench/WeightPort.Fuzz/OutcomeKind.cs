namespace WeightPort.Fuzz;

/// <summary>How one input ended. Only <see cref="Result"/> and <see cref="FormatError"/> pass the oracle.</summary>
public enum OutcomeKind
{
    /// <summary>The reader returned a result (and its lazy paths ran cleanly).</summary>
    Result,
    /// <summary>The reader threw <see cref="CheckpointFormatException"/>.</summary>
    FormatError,
    /// <summary>Any other exception.</summary>
    OtherException,
    /// <summary>OutOfMemoryException, or more allocated than the per-input ceiling.</summary>
    Memory,
    /// <summary>Still running after the per-input time limit.</summary>
    Hang,
    /// <summary>The process died (stack overflow, access violation, killed).</summary>
    Crash,
}
