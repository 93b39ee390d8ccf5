using WeightPort.Fastai;
using WeightPort.Tensors;

namespace WeightPort.Verification;

/// <summary>One comparison of <see cref="ModelVerifier.Verify"/>: the model on one backend against a reference or against its source.</summary>
/// <param name="Checkpoint">The checkpoint verified.</param>
/// <param name="Layout">The layout it was recognised as.</param>
/// <param name="Config">Its configuration.</param>
/// <param name="Against">What it was compared with: the reference file, or the source checkpoint.</param>
/// <param name="Backend">Where the forward pass ran, in words.</param>
/// <param name="Tolerance">The tolerance applied.</param>
/// <param name="Outputs">Output comparisons.</param>
/// <param name="Weights">Tensor-by-tensor weight comparisons (converted file against its source, bitwise); empty against a reference.</param>
/// <param name="Problems">Reasons the comparison could not be made as asked (shapes that do not fit, missing outputs, a changed source).</param>
/// <param name="ForwardMilliseconds">Wall time of the forward pass being verified.</param>
public sealed record VerificationReport(string Checkpoint, FastaiLayout Layout, FastaiModelConfig Config, string Against, string Backend, Tolerance Tolerance,
    IReadOnlyList<ComparisonResult> Outputs, IReadOnlyList<ComparisonResult> Weights, IReadOnlyList<string> Problems, double ForwardMilliseconds)
{
    /// <summary>How the engine held the weights and why ("float16 (every weight is exact …)"); null when no forward pass ran.</summary>
    public string? WeightStorage { get; init; }

    /// <summary>True when there was something to compare, nothing went wrong and every comparison passed.</summary>
    public bool Passed => Problems.Count == 0 && Outputs.Count > 0 && Outputs.All(o => o.Passed) && Weights.All(w => w.Passed);
}
