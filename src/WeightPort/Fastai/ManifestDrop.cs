namespace WeightPort.Fastai;

/// <summary>One source tensor not written, and why.</summary>
public sealed record ManifestDrop(string Source, string Reason);
