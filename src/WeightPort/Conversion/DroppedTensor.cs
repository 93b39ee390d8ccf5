namespace WeightPort.Conversion;

/// <summary>A source tensor that is not written, and why.</summary>
/// <param name="SourcePath">Its path in the checkpoint.</param>
/// <param name="Reason">Why it is dropped (the check that allowed it is in the decisions).</param>
internal sealed record DroppedTensor(string SourcePath, string Reason);
