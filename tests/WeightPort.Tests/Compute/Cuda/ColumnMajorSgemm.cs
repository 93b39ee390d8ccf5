using WeightPort.Compute.Cuda;

namespace WeightPort.Tests.Compute.Cuda;

/// <summary>
/// cuBLAS's <c>cublasSgemm</c> semantics on the CPU, as documented: C = α·op(A)·op(B) + β·C, column-major, with the
/// argument checks cuBLAS makes and a bounds check on every element read or written. An argument mapping that is
/// wrong in any way (swapped operands, wrong leading dimension, wrong transpose) produces a wrong product or an error.
/// </summary>
internal static class ColumnMajorSgemm
{
    /// <summary>Elements from the first that op(A)/op(B)/C touch.</summary>
    public static long ExtentA(in GemmCall g) => g.TransA == CublasApi.OpN ? (long)g.Lda * (g.K - 1) + g.M : (long)g.Lda * (g.M - 1) + g.K;

    public static long ExtentB(in GemmCall g) => g.TransB == CublasApi.OpN ? (long)g.Ldb * (g.N - 1) + g.K : (long)g.Ldb * (g.K - 1) + g.N;

    public static long ExtentC(in GemmCall g) => (long)g.Ldc * (g.N - 1) + g.M;

    public static void Run(in GemmCall g, float alpha, ReadOnlySpan<float> a, ReadOnlySpan<float> b, float beta, Span<float> c)
    {
        if (!g.IsValid) throw new InvalidOperationException($"CUBLAS_STATUS_INVALID_VALUE for {g}");
        if (a.Length < ExtentA(g) || b.Length < ExtentB(g) || c.Length < ExtentC(g))
            throw new InvalidOperationException($"operand too short for {g}: A {a.Length}/{ExtentA(g)}, B {b.Length}/{ExtentB(g)}, C {c.Length}/{ExtentC(g)}");
        for (int j = 0; j < g.N; j++)
        {
            for (int i = 0; i < g.M; i++)
            {
                double sum = 0;
                for (int p = 0; p < g.K; p++)
                {
                    float opA = g.TransA == CublasApi.OpN ? a[i + p * g.Lda] : a[p + i * g.Lda];
                    float opB = g.TransB == CublasApi.OpN ? b[p + j * g.Ldb] : b[j + p * g.Ldb];
                    sum += (double)opA * opB;
                }
                int index = i + j * g.Ldc;
                c[index] = (float)(alpha * sum + (beta == 0 ? 0 : beta * c[index]));
            }
        }
    }
}
