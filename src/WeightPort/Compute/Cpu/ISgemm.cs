namespace WeightPort.Compute.Cpu;

/// <summary>
/// The one matrix product the AWD-LSTM needs: every weight is stored [out, in] row-major, so each product is
/// <c>C[m, n] = A[m, k] · B[n, k]ᵀ (+ bias[n]) (+ C when accumulating)</c>, fp32 in and fp32 accumulation.
/// </summary>
internal unsafe interface ISgemm
{
    /// <summary>What runs, for <see cref="Model.ComputeBackend.Description"/>.</summary>
    string Description { get; }

    /// <summary>
    /// Computes <c>C = A·Bᵀ + bias + (accumulate ? C : 0)</c>. <paramref name="bias"/> may be null. Rows are
    /// <paramref name="lda"/>, <paramref name="ldb"/>, <paramref name="ldc"/> floats apart.
    /// </summary>
    void MultiplyTransposed(int m, int n, int k, float* a, int lda, float* b, int ldb, float* bias, float* c, int ldc, bool accumulate);

    /// <summary>Whether <paramref name="element"/> weights can be multiplied.</summary>
    bool Supports(WeightElement element);

    /// <summary>The same product with B stored as <see cref="WeightView.Element"/> (widened to float32 exactly).</summary>
    /// <exception cref="NotSupportedException"><see cref="Supports"/> is false for the element type.</exception>
    void MultiplyTransposed(int m, int n, int k, float* a, int lda, WeightView b, float* bias, float* c, int ldc, bool accumulate);
}
