namespace WeightPort.Fuzz;

/// <summary>One reader's figures for a run.</summary>
public sealed record ReaderSummary
{
    /// <summary>The reader.</summary>
    public required string Reader { get; init; }
    /// <summary>Inputs tried.</summary>
    public long Inputs { get; init; }
    /// <summary>Inputs that gave a result.</summary>
    public long Results { get; init; }
    /// <summary>Inputs that ended in CheckpointFormatException.</summary>
    public long FormatErrors { get; init; }
    /// <summary>Other exceptions.</summary>
    public long OtherExceptions { get; init; }
    /// <summary>Process crashes.</summary>
    public long Crashes { get; init; }
    /// <summary>Inputs past the time limit.</summary>
    public long Hangs { get; init; }
    /// <summary>Memory failures.</summary>
    public long Memory { get; init; }
    /// <summary>Largest allocation for one input, in bytes.</summary>
    public long MaxAllocBytes { get; init; }
    /// <summary>That input's size.</summary>
    public long MaxAllocInputBytes { get; init; }
    /// <summary>That input's index.</summary>
    public long MaxAllocIndex { get; init; }
    /// <summary>Largest allocation/size ratio over inputs of at least 1 KiB.</summary>
    public double MaxRatio { get; init; }
    /// <summary>Allocation of the input with the largest ratio.</summary>
    public long MaxRatioAllocBytes { get; init; }
    /// <summary>Size of the input with the largest ratio.</summary>
    public long MaxRatioInputBytes { get; init; }
    /// <summary>Slowest input, in milliseconds.</summary>
    public double SlowestMs { get; init; }
    /// <summary>Index of the slowest input.</summary>
    public long SlowestIndex { get; init; }
    /// <summary>Inputs per second per core (generation + read + lazy paths).</summary>
    public double InputsPerSecondPerCore { get; init; }

    /// <summary>Failures of every kind.</summary>
    public long Failures => OtherExceptions + Crashes + Hangs + Memory;
}
