namespace WeightPort.Tensors;

/// <summary>
/// When two float outputs count as the same. An element passes when |a − b| ≤ Absolute + Relative·|b| (numpy's
/// <c>allclose</c> rule, b being the reference); the whole comparison also needs the cosine similarity and the top-1
/// agreement of the logits to reach their minimums.
/// </summary>
public sealed record Tolerance
{
    /// <summary>The default for fp32 CPU against PyTorch: different summation orders, same math.</summary>
    public static Tolerance Default { get; } = new();

    /// <summary>No slack at all: every element equal, every row's arg-max the same.</summary>
    internal static Tolerance Exact { get; } = new() { Absolute = 0, Relative = 0 };

    /// <summary>Absolute slack per element (default 1e-4).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative or not finite.</exception>
    public double Absolute { get; init => field = NonNegative(value); } = 1e-4;

    /// <summary>Relative slack per element, scaled by the reference value (default 1e-4).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative or not finite.</exception>
    public double Relative { get; init => field = NonNegative(value); } = 1e-4;

    /// <summary>Minimum cosine similarity of the flattened outputs, in [-1, 1] (default 0.99999).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is outside [-1, 1].</exception>
    public double MinCosine { get; init => field = InRange(value, -1); } = 0.99999;

    /// <summary>Minimum fraction of rows whose arg-max agrees, in [0, 1]; 1 means every row (the default).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is outside [0, 1].</exception>
    public double MinTop1Agreement { get; init => field = InRange(value, 0); } = 1.0;

    private static double NonNegative(double value, [System.Runtime.CompilerServices.CallerMemberName] string name = "") =>
        double.IsFinite(value) && value >= 0 ? value : throw new ArgumentOutOfRangeException(name, value, "must be a finite number ≥ 0");

    private static double InRange(double value, double min, [System.Runtime.CompilerServices.CallerMemberName] string name = "") =>
        value >= min && value <= 1 ? value : throw new ArgumentOutOfRangeException(name, value, $"must be in [{min}, 1]");
}
