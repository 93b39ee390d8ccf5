namespace WeightPort.Fuzz;

/// <summary>What one input did.</summary>
/// <param name="Kind">How it ended.</param>
/// <param name="AllocatedBytes">Bytes allocated on the reading thread while reading it and walking its lazy paths.</param>
/// <param name="Exception">The exception, when it failed the oracle (or was a format error).</param>
public sealed record InputOutcome(OutcomeKind Kind, long AllocatedBytes, Exception? Exception);
