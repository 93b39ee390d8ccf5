namespace WeightPort.Verification;

/// <summary>
/// When two float outputs count as the same. An element passes when |a − b| ≤ Absolute + Relative·|b| (numpy's
/// <c>allclose</c> rule, b being the reference); the whole comparison also needs the cosine similarity and the top-1
/// agreement of the logits to reach their minimums.
/// </summary>
/// <param name="Absolute">Absolute slack per element.</param>
/// <param name="Relative">Relative slack per element, scaled by the reference value.</param>
/// <param name="MinCosine">Minimum cosine similarity of the flattened outputs.</param>
/// <param name="MinTop1Agreement">Minimum fraction of positions whose arg-max agrees (1.0 = every position).</param>
public sealed record Tolerance(double Absolute = 1e-4, double Relative = 1e-4, double MinCosine = 0.99999, double MinTop1Agreement = 1.0)
{
    /// <summary>The default for fp32 CPU against PyTorch: different summation orders, same math.</summary>
    public static Tolerance Default { get; } = new();
}
