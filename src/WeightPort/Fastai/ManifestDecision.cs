namespace WeightPort.Fastai;

/// <summary>A <see cref="ConversionDecision"/> in text form.</summary>
public sealed record ManifestDecision(string Kind, IReadOnlyList<string> Keys, string Verdict, string Severity, string Details);
