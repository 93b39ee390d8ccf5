namespace WeightPort.Conversion;

/// <summary>One source tensor not written, and why.</summary>
internal sealed record ManifestDrop(string Source, string Reason);
