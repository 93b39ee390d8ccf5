namespace WeightPort.Conversion;

/// <summary>A <see cref="Fastai.ConversionDecision"/> in text form.</summary>
internal sealed record ManifestDecision(string Kind, IReadOnlyList<string> Keys, string Verdict, string Severity, string Details);
