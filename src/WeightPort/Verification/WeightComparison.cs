namespace WeightPort.Verification;

/// <summary>One weight tensor of a converted file against the same tensor of its source.</summary>
/// <param name="Name">Canonical name.</param>
/// <param name="Elements">Elements compared.</param>
/// <param name="Differing">Elements whose float32 bits differ.</param>
/// <param name="MaxAbsDifference">Largest absolute difference.</param>
/// <param name="Passed">Bitwise equal (after rounding the source through the converted dtype, when the file was cast).</param>
public sealed record WeightComparison(string Name, long Elements, long Differing, double MaxAbsDifference, bool Passed);
