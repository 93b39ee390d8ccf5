namespace WeightPort.Fastai;

/// <summary>One recorded decision of validation or planning, for reports and manifests.</summary>
/// <param name="Kind">What it is about.</param>
/// <param name="Keys">The source keys concerned (the kept one first).</param>
/// <param name="Verdict">The outcome.</param>
/// <param name="Details">The numbers behind it, in words.</param>
public sealed record ConversionDecision(DecisionKind Kind, IReadOnlyList<string> Keys, DecisionVerdict Verdict, string Details)
{
    /// <summary>Error for <see cref="DecisionVerdict.Refused"/>, warning for overrides and lossy casts, else info.</summary>
    public DecisionSeverity Severity => Verdict switch
    {
        DecisionVerdict.Refused => DecisionSeverity.Error,
        DecisionVerdict.KeptByOverride or DecisionVerdict.Lossy => DecisionSeverity.Warning,
        _ => DecisionSeverity.Info,
    };

    /// <inheritdoc />
    public override string ToString() => $"{Severity} {Kind} [{string.Join(", ", Keys)}] {Verdict}: {Details}";
}
