using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace WeightPort.Compute.Cpu;

/// <summary>
/// The float32 products of <see cref="ManagedSgemm"/> on CPUs without AVX-512: every output is a dot product of two contiguous rows, computed in 4×4 register
/// blocks of Vector256 fused multiply-adds (16 accumulators, each A and B vector loaded once per block) and summed
/// horizontally at the end. Work is split over B rows (output columns) in tiles, in parallel over the cores, so a
/// single-row product (a GEMV) streams disjoint halves of the weight matrix on two cores.
/// </summary>
internal sealed unsafe class Vector256Sgemm
{
    /// <summary>B rows per parallel work item: 64 rows of 1152 floats stay in L2 while all A rows pass over them.</summary>
    private const int TileN = 64;

    /// <summary>Below this many multiply-adds the product runs on the calling thread.</summary>
    private const long ParallelThreshold = 1 << 17;

    /// <summary>The shared instance (the kernels are stateless).</summary>
    public static Vector256Sgemm Instance { get; } = new();

    /// <summary>What runs.</summary>
    public string Description => $"managed Vector256 kernels (hardware accelerated: {Vector256.IsHardwareAccelerated}, {Environment.ProcessorCount} cores)";

    /// <summary>Computes <c>C = A·Bᵀ + bias + (accumulate ? C : 0)</c> (see <see cref="ISgemm"/>).</summary>
    public void MultiplyTransposed(int m, int n, int k, float* a, int lda, float* b, int ldb, float* bias, float* c, int ldc, bool accumulate)
    {
        if (m == 0 || n == 0) return;
        int tiles = (n + TileN - 1) / TileN;
        if ((long)m * n * k < ParallelThreshold || tiles == 1 || Environment.ProcessorCount == 1)
        {
            Tile(0, n, m, k, a, lda, b, ldb, bias, c, ldc, accumulate);
            return;
        }
        nint pa = (nint)a, pb = (nint)b, pbias = (nint)bias, pc = (nint)c;
        Parallel.For(0, tiles, t =>
        {
            int j0 = t * TileN;
            Tile(j0, Math.Min(n, j0 + TileN), m, k, (float*)pa, lda, (float*)pb, ldb, (float*)pbias, (float*)pc, ldc, accumulate);
        });
    }

    private static void Tile(int j0, int j1, int m, int k, float* a, int lda, float* b, int ldb, float* bias, float* c, int ldc, bool accumulate)
    {
        int i = 0;
        for (; i + 4 <= m; i += 4)
        {
            int j = j0;
            for (; j + 4 <= j1; j += 4) Kernel4x4(i, j, k, a, lda, b, ldb, bias, c, ldc, accumulate);
            for (; j < j1; j++)
                for (int r = 0; r < 4; r++) Kernel1x1(i + r, j, k, a, lda, b, ldb, bias, c, ldc, accumulate);
        }
        for (; i < m; i++)
        {
            int j = j0;
            for (; j + 4 <= j1; j += 4) Kernel1x4(i, j, k, a, lda, b, ldb, bias, c, ldc, accumulate);
            for (; j < j1; j++) Kernel1x1(i, j, k, a, lda, b, ldb, bias, c, ldc, accumulate);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* target, float sum, float* bias, int j, bool accumulate)
    {
        if (bias != null) sum += bias[j];
        *target = accumulate ? *target + sum : sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel4x4(int i, int j, int k, float* a, int lda, float* b, int ldb, float* bias, float* c, int ldc, bool accumulate)
    {
        float* a0p = a + (long)i * lda, a1p = a0p + lda, a2p = a1p + lda, a3p = a2p + lda;
        float* b0p = b + (long)j * ldb, b1p = b0p + ldb, b2p = b1p + ldb, b3p = b2p + ldb;
        Vector256<float> c00 = Vector256<float>.Zero;
        Vector256<float> c01 = Vector256<float>.Zero;
        Vector256<float> c02 = Vector256<float>.Zero;
        Vector256<float> c03 = Vector256<float>.Zero;
        Vector256<float> c10 = Vector256<float>.Zero;
        Vector256<float> c11 = Vector256<float>.Zero;
        Vector256<float> c12 = Vector256<float>.Zero;
        Vector256<float> c13 = Vector256<float>.Zero;
        Vector256<float> c20 = Vector256<float>.Zero;
        Vector256<float> c21 = Vector256<float>.Zero;
        Vector256<float> c22 = Vector256<float>.Zero;
        Vector256<float> c23 = Vector256<float>.Zero;
        Vector256<float> c30 = Vector256<float>.Zero;
        Vector256<float> c31 = Vector256<float>.Zero;
        Vector256<float> c32 = Vector256<float>.Zero;
        Vector256<float> c33 = Vector256<float>.Zero;
        int p = 0;
        for (; p + 8 <= k; p += 8)
        {
            Vector256<float> b0 = Vector256.Load(b0p + p);
            Vector256<float> b1 = Vector256.Load(b1p + p);
            Vector256<float> b2 = Vector256.Load(b2p + p);
            Vector256<float> b3 = Vector256.Load(b3p + p);
            Vector256<float> a0 = Vector256.Load(a0p + p);
            c00 = Vector256.FusedMultiplyAdd(a0, b0, c00);
            c01 = Vector256.FusedMultiplyAdd(a0, b1, c01);
            c02 = Vector256.FusedMultiplyAdd(a0, b2, c02);
            c03 = Vector256.FusedMultiplyAdd(a0, b3, c03);
            Vector256<float> a1 = Vector256.Load(a1p + p);
            c10 = Vector256.FusedMultiplyAdd(a1, b0, c10);
            c11 = Vector256.FusedMultiplyAdd(a1, b1, c11);
            c12 = Vector256.FusedMultiplyAdd(a1, b2, c12);
            c13 = Vector256.FusedMultiplyAdd(a1, b3, c13);
            Vector256<float> a2 = Vector256.Load(a2p + p);
            c20 = Vector256.FusedMultiplyAdd(a2, b0, c20);
            c21 = Vector256.FusedMultiplyAdd(a2, b1, c21);
            c22 = Vector256.FusedMultiplyAdd(a2, b2, c22);
            c23 = Vector256.FusedMultiplyAdd(a2, b3, c23);
            Vector256<float> a3 = Vector256.Load(a3p + p);
            c30 = Vector256.FusedMultiplyAdd(a3, b0, c30);
            c31 = Vector256.FusedMultiplyAdd(a3, b1, c31);
            c32 = Vector256.FusedMultiplyAdd(a3, b2, c32);
            c33 = Vector256.FusedMultiplyAdd(a3, b3, c33);
        }
        if (p == k && Avx.IsSupported)
        {
            // Four dot products at once: a horizontal-add tree leaves [s0 s1 s2 s3] in one Vector128, so the bias
            // and the accumulation are vector adds and the row of four is one store.
            StoreRow(c + (long)i * ldc + j, Reduce4(c00, c01, c02, c03), bias, j, accumulate);
            StoreRow(c + (long)(i + 1) * ldc + j, Reduce4(c10, c11, c12, c13), bias, j, accumulate);
            StoreRow(c + (long)(i + 2) * ldc + j, Reduce4(c20, c21, c22, c23), bias, j, accumulate);
            StoreRow(c + (long)(i + 3) * ldc + j, Reduce4(c30, c31, c32, c33), bias, j, accumulate);
            return;
        }
        float s00 = Vector256.Sum(c00);
        float s01 = Vector256.Sum(c01);
        float s02 = Vector256.Sum(c02);
        float s03 = Vector256.Sum(c03);
        float s10 = Vector256.Sum(c10);
        float s11 = Vector256.Sum(c11);
        float s12 = Vector256.Sum(c12);
        float s13 = Vector256.Sum(c13);
        float s20 = Vector256.Sum(c20);
        float s21 = Vector256.Sum(c21);
        float s22 = Vector256.Sum(c22);
        float s23 = Vector256.Sum(c23);
        float s30 = Vector256.Sum(c30);
        float s31 = Vector256.Sum(c31);
        float s32 = Vector256.Sum(c32);
        float s33 = Vector256.Sum(c33);
        for (; p < k; p++)
        {
            float av0 = a0p[p];
            float av1 = a1p[p];
            float av2 = a2p[p];
            float av3 = a3p[p];
            s00 += av0 * b0p[p];
            s01 += av0 * b1p[p];
            s02 += av0 * b2p[p];
            s03 += av0 * b3p[p];
            s10 += av1 * b0p[p];
            s11 += av1 * b1p[p];
            s12 += av1 * b2p[p];
            s13 += av1 * b3p[p];
            s20 += av2 * b0p[p];
            s21 += av2 * b1p[p];
            s22 += av2 * b2p[p];
            s23 += av2 * b3p[p];
            s30 += av3 * b0p[p];
            s31 += av3 * b1p[p];
            s32 += av3 * b2p[p];
            s33 += av3 * b3p[p];
        }
        Store(c + (long)(i + 0) * ldc + j + 0, s00, bias, j + 0, accumulate);
        Store(c + (long)(i + 0) * ldc + j + 1, s01, bias, j + 1, accumulate);
        Store(c + (long)(i + 0) * ldc + j + 2, s02, bias, j + 2, accumulate);
        Store(c + (long)(i + 0) * ldc + j + 3, s03, bias, j + 3, accumulate);
        Store(c + (long)(i + 1) * ldc + j + 0, s10, bias, j + 0, accumulate);
        Store(c + (long)(i + 1) * ldc + j + 1, s11, bias, j + 1, accumulate);
        Store(c + (long)(i + 1) * ldc + j + 2, s12, bias, j + 2, accumulate);
        Store(c + (long)(i + 1) * ldc + j + 3, s13, bias, j + 3, accumulate);
        Store(c + (long)(i + 2) * ldc + j + 0, s20, bias, j + 0, accumulate);
        Store(c + (long)(i + 2) * ldc + j + 1, s21, bias, j + 1, accumulate);
        Store(c + (long)(i + 2) * ldc + j + 2, s22, bias, j + 2, accumulate);
        Store(c + (long)(i + 2) * ldc + j + 3, s23, bias, j + 3, accumulate);
        Store(c + (long)(i + 3) * ldc + j + 0, s30, bias, j + 0, accumulate);
        Store(c + (long)(i + 3) * ldc + j + 1, s31, bias, j + 1, accumulate);
        Store(c + (long)(i + 3) * ldc + j + 2, s32, bias, j + 2, accumulate);
        Store(c + (long)(i + 3) * ldc + j + 3, s33, bias, j + 3, accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> Reduce4(Vector256<float> a, Vector256<float> b, Vector256<float> c, Vector256<float> d)
    {
        Vector256<float> ab = Avx.HorizontalAdd(a, b), cd = Avx.HorizontalAdd(c, d);
        Vector256<float> abcd = Avx.HorizontalAdd(ab, cd);
        return abcd.GetLower() + abcd.GetUpper();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow(float* target, Vector128<float> sums, float* bias, int j, bool accumulate)
    {
        if (bias != null) sums += Vector128.Load(bias + j);
        if (accumulate) sums += Vector128.Load(target);
        sums.Store(target);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel1x4(int i, int j, int k, float* a, int lda, float* b, int ldb, float* bias, float* c, int ldc, bool accumulate)
    {
        float* ap = a + (long)i * lda;
        float* b0p = b + (long)j * ldb, b1p = b0p + ldb, b2p = b1p + ldb, b3p = b2p + ldb;
        Vector256<float> c0 = Vector256<float>.Zero, c1 = Vector256<float>.Zero, c2 = Vector256<float>.Zero, c3 = Vector256<float>.Zero;
        Vector256<float> d0 = Vector256<float>.Zero, d1 = Vector256<float>.Zero, d2 = Vector256<float>.Zero, d3 = Vector256<float>.Zero;
        int p = 0;
        // Two independent chains per output hide the FMA latency; this kernel is memory-bound (a GEMV).
        for (; p + 16 <= k; p += 16)
        {
            Vector256<float> x = Vector256.Load(ap + p), y = Vector256.Load(ap + p + 8);
            c0 = Vector256.FusedMultiplyAdd(x, Vector256.Load(b0p + p), c0);
            c1 = Vector256.FusedMultiplyAdd(x, Vector256.Load(b1p + p), c1);
            c2 = Vector256.FusedMultiplyAdd(x, Vector256.Load(b2p + p), c2);
            c3 = Vector256.FusedMultiplyAdd(x, Vector256.Load(b3p + p), c3);
            d0 = Vector256.FusedMultiplyAdd(y, Vector256.Load(b0p + p + 8), d0);
            d1 = Vector256.FusedMultiplyAdd(y, Vector256.Load(b1p + p + 8), d1);
            d2 = Vector256.FusedMultiplyAdd(y, Vector256.Load(b2p + p + 8), d2);
            d3 = Vector256.FusedMultiplyAdd(y, Vector256.Load(b3p + p + 8), d3);
        }
        for (; p + 8 <= k; p += 8)
        {
            Vector256<float> x = Vector256.Load(ap + p);
            c0 = Vector256.FusedMultiplyAdd(x, Vector256.Load(b0p + p), c0);
            c1 = Vector256.FusedMultiplyAdd(x, Vector256.Load(b1p + p), c1);
            c2 = Vector256.FusedMultiplyAdd(x, Vector256.Load(b2p + p), c2);
            c3 = Vector256.FusedMultiplyAdd(x, Vector256.Load(b3p + p), c3);
        }
        if (p == k && Avx.IsSupported)
        {
            StoreRow(c + (long)i * ldc + j, Reduce4(c0 + d0, c1 + d1, c2 + d2, c3 + d3), bias, j, accumulate);
            return;
        }
        float s0 = Vector256.Sum(c0 + d0), s1 = Vector256.Sum(c1 + d1), s2 = Vector256.Sum(c2 + d2), s3 = Vector256.Sum(c3 + d3);
        for (; p < k; p++)
        {
            float x = ap[p];
            s0 += x * b0p[p];
            s1 += x * b1p[p];
            s2 += x * b2p[p];
            s3 += x * b3p[p];
        }
        float* row = c + (long)i * ldc;
        Store(row + j, s0, bias, j, accumulate);
        Store(row + j + 1, s1, bias, j + 1, accumulate);
        Store(row + j + 2, s2, bias, j + 2, accumulate);
        Store(row + j + 3, s3, bias, j + 3, accumulate);
    }

    private static void Kernel1x1(int i, int j, int k, float* a, int lda, float* b, int ldb, float* bias, float* c, int ldc, bool accumulate)
    {
        float* ap = a + (long)i * lda;
        float* bp = b + (long)j * ldb;
        Vector256<float> acc = Vector256<float>.Zero;
        int p = 0;
        for (; p + 8 <= k; p += 8) acc = Vector256.FusedMultiplyAdd(Vector256.Load(ap + p), Vector256.Load(bp + p), acc);
        float s = Vector256.Sum(acc);
        for (; p < k; p++) s += ap[p] * bp[p];
        Store(c + (long)i * ldc + j, s, bias, j, accumulate);
    }

    /// <summary>Sets (or, when <paramref name="accumulate"/>, adds) <paramref name="bias"/> on every row of C.</summary>
    internal static void AddBiasRows(int m, int n, float* bias, float* c, int ldc, bool accumulate)
    {
        nint pb = (nint)bias, pc = (nint)c;
        void Row(int i)
        {
            var row = new Span<float>((float*)pc + (long)i * ldc, n);
            var b = new ReadOnlySpan<float>((float*)pb, n);
            if (accumulate) TensorPrimitives.Add(row, b, row);
            else b.CopyTo(row);
        }
        if ((long)m * n < ParallelThreshold * 4 || m == 1)
            for (int i = 0; i < m; i++) Row(i);
        else Parallel.For(0, m, Row);
    }

    /// <summary>Zeroes m rows of n floats.</summary>
    internal static void ClearRows(int m, int n, float* c, int ldc)
    {
        for (int i = 0; i < m; i++) new Span<float>(c + (long)i * ldc, n).Clear();
    }
}
