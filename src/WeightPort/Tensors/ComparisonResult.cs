namespace WeightPort.Tensors;

/// <summary>How one tensor (a model output, a weight) compares with its reference.</summary>
/// <param name="Name">Which tensor.</param>
/// <param name="Elements">Elements compared.</param>
/// <param name="Differing">Elements whose float32 bit patterns differ.</param>
/// <param name="MaxAbsError">Largest |a − b|; infinity where only one side is not finite.</param>
/// <param name="MaxRelError">Largest |a − b| / |b| over elements whose |b| exceeds the absolute tolerance (relative error near zero is noise).</param>
/// <param name="Cosine">Cosine similarity of the flattened tensors.</param>
/// <param name="Top1Agreement">Fraction of rows whose arg-max agrees; null when the tensor has no class axis to compare.</param>
/// <param name="Violations">Elements outside the element rule of the tolerance.</param>
/// <param name="WorstIndex">Flat index of the largest absolute error.</param>
/// <param name="Passed">Whether every criterion of the tolerance holds.</param>
public sealed record ComparisonResult(string Name, long Elements, long Differing, double MaxAbsError, double MaxRelError, double Cosine,
    double? Top1Agreement, long Violations, long WorstIndex, bool Passed);
