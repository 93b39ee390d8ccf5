namespace WeightPort.Fuzz;

/// <summary>The per-reader counters a worker keeps in its state file (one long each).</summary>
public enum StatField
{
    /// <summary>Inputs tried.</summary>
    Inputs,
    /// <summary>Inputs that gave a result.</summary>
    Results,
    /// <summary>Inputs that ended in CheckpointFormatException.</summary>
    FormatErrors,
    /// <summary>Inputs that ended in another exception.</summary>
    OtherExceptions,
    /// <summary>Inputs that ran out of memory or over the allocation ceiling.</summary>
    Memory,
    /// <summary>Inputs that ran past the time limit.</summary>
    Hangs,
    /// <summary>Inputs that killed the worker.</summary>
    Crashes,
    /// <summary>Largest allocation for one input.</summary>
    MaxAlloc,
    /// <summary>Size of the input with the largest allocation.</summary>
    MaxAllocInputSize,
    /// <summary>Index of the input with the largest allocation.</summary>
    MaxAllocIndex,
    /// <summary>Stopwatch ticks spent in this reader.</summary>
    ElapsedTicks,
    /// <summary>Largest allocation/size ratio (×1000) over inputs of at least 1 KiB.</summary>
    MaxRatioMilli,
    /// <summary>Allocation of the input with the largest ratio.</summary>
    MaxRatioAlloc,
    /// <summary>Size of the input with the largest ratio.</summary>
    MaxRatioInputSize,
    /// <summary>Slowest input, in Stopwatch ticks.</summary>
    MaxTicks,
    /// <summary>Index of the slowest input.</summary>
    MaxTicksIndex,
}
