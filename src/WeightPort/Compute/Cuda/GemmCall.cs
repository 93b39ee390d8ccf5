namespace WeightPort.Compute.Cuda;

/// <summary>
/// The arguments of one column-major <c>cublasSgemm</c> (or strided-batched) call, computed from a row-major product by
/// <see cref="Linear"/>. cuBLAS computes <c>C = α·op(A)·op(B) + β·C</c> with <c>op(A)</c> m×k, <c>op(B)</c> k×n and C m×n,
/// all column-major.
/// </summary>
/// <remarks>
/// <para>The transpose trick. A row-major matrix X[r, c] with row stride ld is, read column-major with leading dimension
/// ld, the matrix Xᵀ [c, r]. WeightPort's products are all linear layers: <c>Y[M, N] = X[M, K] · W[N, K]ᵀ</c>
/// (X the inputs, W a PyTorch weight, both row-major). Row-major Y is column-major Yᵀ [N, M], and
/// <c>Yᵀ = W · Xᵀ</c>. Column-major cuBLAS sees W (row-major [N, K]) as Wᵀ [K, N], so it must transpose it back
/// (<c>transa = T</c>, lda = W's row stride), and sees X (row-major [M, K]) as Xᵀ [K, M], which is already the
/// right operand (<c>transb = N</c>, ldb = X's row stride). Hence <c>m = N, n = M, k = K, A = W, B = X, C = Y</c>,
/// <c>ldc</c> = Y's row stride.</para>
/// <para>The same in loops (what the CPU simulation in the tests checks against a plain row-major product):
/// <code>
/// for i in 0..m, j in 0..n:  C[i + j·ldc] = Σ_p op(A)[i, p] · op(B)[p, j]
///   op(A)[i, p] = A[p + i·lda]   (transa = T)      op(B)[p, j] = B[p + j·ldb]   (transb = N)
/// ⇒ Y[j·ldY + i] = Σ_p W[i·ldW + p] · X[j·ldX + p]  =  (X · Wᵀ)[j, i]   with i &lt; N (output feature), j &lt; M (row)
/// </code></para>
/// </remarks>
/// <param name="TransA">cuBLAS op of A (<see cref="CublasApi.OpT"/>).</param>
/// <param name="TransB">cuBLAS op of B (<see cref="CublasApi.OpN"/>).</param>
/// <param name="M">Rows of op(A) and C.</param>
/// <param name="N">Columns of op(B) and C.</param>
/// <param name="K">The shared dimension.</param>
/// <param name="Lda">Leading dimension of A (the weight's row stride).</param>
/// <param name="Ldb">Leading dimension of B (the input's row stride).</param>
/// <param name="Ldc">Leading dimension of C (the output's row stride).</param>
internal readonly record struct GemmCall(int TransA, int TransB, int M, int N, int K, int Lda, int Ldb, int Ldc)
{
    /// <summary>
    /// <c>Y[rows, outFeatures] = X[rows, inFeatures] · W[outFeatures, inFeatures]ᵀ</c>, all row-major with the given row
    /// strides (elements). Pass the weight as A, the input as B and the output as C.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive or a stride is shorter than its row.</exception>
    public static GemmCall Linear(int rows, int inFeatures, int outFeatures, int inputStride, int weightStride, int outputStride)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rows);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inFeatures);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(outFeatures);
        ArgumentOutOfRangeException.ThrowIfLessThan(inputStride, inFeatures);
        ArgumentOutOfRangeException.ThrowIfLessThan(weightStride, inFeatures);
        ArgumentOutOfRangeException.ThrowIfLessThan(outputStride, outFeatures);
        return new GemmCall(CublasApi.OpT, CublasApi.OpN, M: outFeatures, N: rows, K: inFeatures, Lda: weightStride, Ldb: inputStride, Ldc: outputStride);
    }

    /// <summary>
    /// The checks cuBLAS makes before it returns <c>CUBLAS_STATUS_INVALID_VALUE</c> (<c>lda ≥ max(1, transa = N ? m : k)</c>,
    /// <c>ldb ≥ max(1, transb = N ? k : n)</c>, <c>ldc ≥ max(1, m)</c>), so that a wrong mapping fails in tests too.
    /// </summary>
    public bool IsValid =>
        M > 0 && N > 0 && K > 0 &&
        Lda >= Math.Max(1, TransA == CublasApi.OpN ? M : K) &&
        Ldb >= Math.Max(1, TransB == CublasApi.OpN ? K : N) &&
        Ldc >= Math.Max(1, M);
}
