namespace WeightPort.Verification;

/// <summary>How one output (logits, class logits, last hidden) compares with its reference.</summary>
/// <param name="Name">Which output.</param>
/// <param name="Elements">Elements compared.</param>
/// <param name="MaxAbsError">Largest |a − b|.</param>
/// <param name="MaxRelError">Largest |a − b| / max(|b|, tiny), over elements whose |b| exceeds the absolute tolerance (relative error near zero is noise).</param>
/// <param name="Cosine">Cosine similarity of the flattened outputs.</param>
/// <param name="Top1Agreement">Fraction of rows whose arg-max agrees; null when the output has no class axis to compare.</param>
/// <param name="Violations">Elements outside the element rule of the tolerance.</param>
/// <param name="WorstIndex">Flat index of the largest absolute error.</param>
/// <param name="Passed">Whether every criterion of the tolerance holds.</param>
public sealed record ComparisonResult(string Name, long Elements, double MaxAbsError, double MaxRelError, double Cosine,
    double? Top1Agreement, long Violations, long WorstIndex, bool Passed);
