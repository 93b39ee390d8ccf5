namespace WeightPort.Fastai;

/// <summary>How loudly a <see cref="ConversionDecision"/> should be reported.</summary>
public enum DecisionSeverity
{
    /// <summary>Expected, nothing to do.</summary>
    Info,
    /// <summary>Accepted by an override or lossy: the user should read it.</summary>
    Warning,
    /// <summary>Conversion refused.</summary>
    Error,
}
