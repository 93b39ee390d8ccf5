using WeightPort.Compute.Cpu;
using Xunit;

namespace WeightPort.Tests.Compute.Cpu;

/// <summary>Both <see cref="ISgemm"/> implementations against a double-precision scalar oracle.</summary>
public sealed unsafe class SgemmTests
{
    public static TheoryData<string> Implementations => new() { "managed", "openblas" };

    private static ISgemm Get(string name)
    {
        if (name == "managed") return ManagedSgemm.Instance;
        Skip.If(OpenBlasSgemm.Instance is null, "OpenBLAS (libopenblas.so.0) is not installed; the managed kernels are tested on their own");
        return OpenBlasSgemm.Instance!;
    }

    /// <summary>Runs one product with padded strides and compares every element, padding included.</summary>
    private static void Check(ISgemm gemm, int m, int n, int k, bool withBias, bool accumulate, int seed)
    {
        var random = new Random(seed);
        int lda = k + 3, ldb = k + 1, ldc = n + 2;
        float[] a = Random(random, Math.Max(1, m * lda)), b = Random(random, Math.Max(1, n * ldb)), bias = Random(random, Math.Max(1, n));
        float[] c = Random(random, Math.Max(1, m * ldc));
        float[] before = (float[])c.Clone();
        fixed (float* pa = a, pb = b, pbias = bias, pc = c)
            gemm.MultiplyTransposed(m, n, k, pa, lda, pb, ldb, withBias ? pbias : null, pc, ldc, accumulate);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < ldc; j++)
            {
                int at = i * ldc + j;
                if (j >= n)
                {
                    Assert.True(before[at] == c[at], $"padding C[{i},{j}] was overwritten (m={m} n={n} k={k})");
                    continue;
                }
                double expected = 0, magnitude = 0;
                for (int p = 0; p < k; p++)
                {
                    double term = (double)a[i * lda + p] * b[j * ldb + p];
                    expected += term;
                    magnitude += Math.Abs(term);
                }
                if (withBias) { expected += bias[j]; magnitude += Math.Abs(bias[j]); }
                if (accumulate) { expected += before[at]; magnitude += Math.Abs(before[at]); }
                double tolerance = 1e-6 + 4e-7 * magnitude * Math.Sqrt(k + 2);
                Assert.True(Math.Abs(c[at] - expected) <= tolerance,
                    $"C[{i},{j}] = {c[at]} but {expected} expected (m={m} n={n} k={k} bias={withBias} accumulate={accumulate})");
            }
    }

    private static float[] Random(Random random, int n)
    {
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = random.NextSingle() * 2f - 1f;
        return a;
    }

    [SkippableTheory]
    [MemberData(nameof(Implementations))]
    public void MultiplyTransposed_EveryInnerLength0To257_MatchesDoubleOracle(string implementation)
    {
        ISgemm gemm = Get(implementation);
        for (int k = 0; k <= 257; k++)
        {
            Check(gemm, 1, 7, k, withBias: k % 2 == 0, accumulate: k % 3 == 0, seed: k);
            Check(gemm, 5, 9, k, withBias: k % 2 == 1, accumulate: k % 3 == 1, seed: 1000 + k);
        }
    }

    [SkippableTheory]
    [MemberData(nameof(Implementations))]
    public void MultiplyTransposed_EveryOuterLength0To257_MatchesDoubleOracle(string implementation)
    {
        ISgemm gemm = Get(implementation);
        for (int len = 0; len <= 257; len++)
        {
            Check(gemm, len, 3, 17, withBias: true, accumulate: len % 2 == 0, seed: len);
            Check(gemm, 2, len, 33, withBias: len % 2 == 0, accumulate: true, seed: 500 + len);
        }
    }

    [SkippableTheory]
    [MemberData(nameof(Implementations))]
    public void MultiplyTransposed_OddAndParallelShapes_MatchesDoubleOracle(string implementation)
    {
        ISgemm gemm = Get(implementation);
        int[][] shapes = [[1, 1, 1], [3, 257, 31], [4, 64, 400], [7, 130, 33], [64, 65, 129], [1, 1000, 1152], [9, 300, 200], [67, 131, 75]];
        int seed = 0;
        foreach (int[] s in shapes)
            foreach (bool bias in new[] { false, true })
                foreach (bool accumulate in new[] { false, true })
                    Check(gemm, s[0], s[1], s[2], bias, accumulate, seed++);
    }

    [SkippableFact]
    public void OpenBlasAndManaged_SameProduct_AgreeWithinTolerance()
    {
        ISgemm openBlas = Get("openblas");
        var random = new Random(7);
        const int m = 33, n = 517, k = 1152;
        float[] a = Random(random, m * k), b = Random(random, n * k), bias = Random(random, n);
        var c1 = new float[m * n];
        var c2 = new float[m * n];
        fixed (float* pa = a, pb = b, pbias = bias, p1 = c1, p2 = c2)
        {
            openBlas.MultiplyTransposed(m, n, k, pa, k, pb, k, pbias, p1, n, accumulate: false);
            ManagedSgemm.Instance.MultiplyTransposed(m, n, k, pa, k, pb, k, pbias, p2, n, accumulate: false);
        }
        for (int i = 0; i < c1.Length; i++)
            Assert.True(Math.Abs(c1[i] - c2[i]) <= 1e-4f, $"element {i}: OpenBLAS {c1[i]}, managed {c2[i]}");
    }
}
