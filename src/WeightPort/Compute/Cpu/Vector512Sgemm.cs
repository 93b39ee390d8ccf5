using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace WeightPort.Compute.Cpu;

/// <summary>
/// The AVX-512 products behind <see cref="ManagedSgemm"/>. Every output is the dot product of an A row and a B row
/// (both contiguous in k, so nothing is packed and mapped weights are used where they lie), accumulated in Vector512
/// lanes and summed horizontally once at the end.
/// <list type="bullet">
/// <item>m ≥ 4: 4×4 register blocks (16 accumulators; each A and B vector loaded once per block) over tiles of
/// <see cref="TileN"/> B rows that stay in L2 while every A row passes. float16/bfloat16 tiles are first widened into
/// a float32 copy of the tile, so the block kernel itself only ever sees float32.</item>
/// <item>m &lt; 4 (the single-token step): GEMV rows, eight B rows streamed at once, widening float16/bfloat16 in
/// registers, so the weights cross the memory bus at their stored size.</item>
/// </list>
/// Which kernel computes an output depends only on m, its row and its column, never on the storage type, so float16
/// weights that hold exactly the float32 values give bitwise the float32 results.
/// </summary>
internal static unsafe class Vector512Sgemm
{
    /// <summary>B rows per work item: 64 rows of 1,152 floats (295 KB) stay in a 1 MiB L2 while A passes.</summary>
    public const int TileN = 64;

    /// <summary>From this many A rows on, the 4×4 block kernel runs; below, the GEMV rows.</summary>
    public const int BlockRows = 4;

    [ThreadStatic]
    private static float[]? _tile;

    /// <summary>Computes tile <paramref name="tile"/> (B rows <c>tile·TileN</c> … ) of <c>C = A·Bᵀ (+ bias) (+ C)</c>.</summary>
    public static void Tile(int tile, int m, int n, int k, float* a, int lda, WeightView b, float* bias, float* c, int ldc, bool accumulate)
    {
        int j0 = tile * TileN, j1 = Math.Min(n, j0 + TileN);
        if (m < BlockRows)
        {
            switch (b.Element)
            {
                case WeightElement.Float32: Rows<Float32Load>(0, m, j0, j1, k, a, lda, b.Data, b.RowBytes, bias, c, ldc, accumulate); break;
                case WeightElement.Float16: Rows<Float16Load>(0, m, j0, j1, k, a, lda, b.Data, b.RowBytes, bias, c, ldc, accumulate); break;
                default: Rows<BFloat16Load>(0, m, j0, j1, k, a, lda, b.Data, b.RowBytes, bias, c, ldc, accumulate); break;
            }
            return;
        }
        if (b.Element == WeightElement.Float32)
        {
            Blocks(j0, j1, m, k, a, lda, (float*)b.Data, b.Ld, bias, c, ldc, accumulate);
            return;
        }
        // Widen the tile once; all m rows then reuse it from L2.
        int width = j1 - j0;
        fixed (float* w = TileScratch(k))
        {
            if (b.Element == WeightElement.Float16) Widen<Float16Load>(b, j0, width, k, w);
            else Widen<BFloat16Load>(b, j0, width, k, w);
            // The widened rows are addressed as rows j0 … j1 of a matrix whose row j0 is at w.
            Blocks(j0, j1, m, k, a, lda, w - (long)j0 * k, k, bias, c, ldc, accumulate);
        }
    }

    /// <summary>This thread's buffer for one widened tile of <paramref name="k"/>-long rows.</summary>
    public static float[] TileScratch(int k) =>
        _tile is { } s && s.Length >= TileN * k ? s : _tile = GC.AllocateUninitializedArray<float>(TileN * Math.Max(k, 1152), pinned: true);

    /// <summary>Rows <paramref name="j0"/> … of <paramref name="b"/> widened to float32, <paramref name="k"/> apart, at <paramref name="target"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Widen<T>(WeightView b, int j0, int rows, int k, float* target)
        where T : struct, IWeightLoad
    {
        for (int r = 0; r < rows; r++)
        {
            byte* src = b.Row(j0 + r);
            float* dst = target + (long)r * k;
            int p = 0;
            for (; p + 16 <= k; p += 16) T.Load16(src, p).Store(dst + p);
            for (; p < k; p++) dst[p] = T.Load1(src, p);
        }
    }

    private static void Blocks(int j0, int j1, int m, int k, float* a, int lda, float* b, int ldb, float* bias, float* c, int ldc, bool accumulate)
    {
        int i = 0;
        for (; i + 4 <= m; i += 4)
        {
            int j = j0;
            for (; j + 4 <= j1; j += 4) Kernel4x4(i, j, k, a, lda, b, ldb, bias, c, ldc, accumulate);
            if (j < j1) Rows<Float32Load>(i, i + 4, j, j1, k, a, lda, (byte*)b, (long)ldb * sizeof(float), bias, c, ldc, accumulate);
        }
        if (i < m) Rows<Float32Load>(i, m, j0, j1, k, a, lda, (byte*)b, (long)ldb * sizeof(float), bias, c, ldc, accumulate);
    }

    /// <summary>Rows i0 … i1 of A against B rows j0 … j1, eight B rows at a time.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Rows<T>(int i0, int i1, int j0, int j1, int k, float* a, int lda, byte* b, long ldbBytes, float* bias, float* c, int ldc, bool accumulate)
        where T : struct, IWeightLoad
    {
        for (int i = i0; i < i1; i++)
        {
            float* ap = a + (long)i * lda;
            float* cp = c + (long)i * ldc;
            int j = j0;
            for (; j + 8 <= j1; j += 8) Dot1x8<T>(ap, b + j * ldbBytes, ldbBytes, k, bias == null ? null : bias + j, cp + j, accumulate);
            for (; j < j1; j++)
            {
                float s = Dot1x1<T>(ap, b + j * ldbBytes, k);
                if (bias != null) s += bias[j];
                cp[j] = accumulate ? cp[j] + s : s;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Dot1x8<T>(float* ap, byte* b0, long ldb, int k, float* bias, float* target, bool accumulate)
        where T : struct, IWeightLoad
    {
        byte* b1 = b0 + ldb, b2 = b1 + ldb, b3 = b2 + ldb, b4 = b3 + ldb, b5 = b4 + ldb, b6 = b5 + ldb, b7 = b6 + ldb;
        Vector512<float> s0 = default, s1 = default, s2 = default, s3 = default, s4 = default, s5 = default, s6 = default, s7 = default;
        int p = 0;
        for (; p + 16 <= k; p += 16)
        {
            if (Sse.IsSupported)
            {
                // The same offset in the next group's eight rows, into L2: a weight row is 0.8 to 4.6 KB, too short
                // a stream for the hardware prefetcher to ramp up on (see bench/results/2026-12-06-cpu-peers.md).
                long ahead = 8 * ldb + (long)p * T.ElementSize;
                Sse.Prefetch1(b0 + ahead);
                Sse.Prefetch1(b1 + ahead);
                Sse.Prefetch1(b2 + ahead);
                Sse.Prefetch1(b3 + ahead);
                Sse.Prefetch1(b4 + ahead);
                Sse.Prefetch1(b5 + ahead);
                Sse.Prefetch1(b6 + ahead);
                Sse.Prefetch1(b7 + ahead);
            }
            Vector512<float> x = Vector512.Load(ap + p);
            s0 = Vector512.FusedMultiplyAdd(x, T.Load16(b0, p), s0);
            s1 = Vector512.FusedMultiplyAdd(x, T.Load16(b1, p), s1);
            s2 = Vector512.FusedMultiplyAdd(x, T.Load16(b2, p), s2);
            s3 = Vector512.FusedMultiplyAdd(x, T.Load16(b3, p), s3);
            s4 = Vector512.FusedMultiplyAdd(x, T.Load16(b4, p), s4);
            s5 = Vector512.FusedMultiplyAdd(x, T.Load16(b5, p), s5);
            s6 = Vector512.FusedMultiplyAdd(x, T.Load16(b6, p), s6);
            s7 = Vector512.FusedMultiplyAdd(x, T.Load16(b7, p), s7);
        }
        Vector256<float> sums = Reduce8(s0, s1, s2, s3, s4, s5, s6, s7);
        if (p < k)
        {
            // The k % 16 tail, scalar, after the vector sums (the same order for every storage type).
            Span<float> tail = stackalloc float[8];
            sums.StoreUnsafe(ref tail[0]);
            for (; p < k; p++)
            {
                float x = ap[p];
                tail[0] += x * T.Load1(b0, p);
                tail[1] += x * T.Load1(b1, p);
                tail[2] += x * T.Load1(b2, p);
                tail[3] += x * T.Load1(b3, p);
                tail[4] += x * T.Load1(b4, p);
                tail[5] += x * T.Load1(b5, p);
                tail[6] += x * T.Load1(b6, p);
                tail[7] += x * T.Load1(b7, p);
            }
            sums = Vector256.LoadUnsafe(ref tail[0]);
        }
        if (bias != null) sums += Vector256.Load(bias);
        if (accumulate) sums += Vector256.Load(target);
        sums.Store(target);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Dot1x1<T>(float* ap, byte* b, int k)
        where T : struct, IWeightLoad
    {
        Vector512<float> acc = default;
        int p = 0;
        for (; p + 16 <= k; p += 16) acc = Vector512.FusedMultiplyAdd(Vector512.Load(ap + p), T.Load16(b, p), acc);
        float s = Vector512.Sum(acc);
        for (; p < k; p++) s += ap[p] * T.Load1(b, p);
        return s;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel4x4(int i, int j, int k, float* a, int lda, float* b, int ldb, float* bias, float* c, int ldc, bool accumulate)
    {
        float* a0p = a + (long)i * lda, a1p = a0p + lda, a2p = a1p + lda, a3p = a2p + lda;
        float* b0p = b + (long)j * ldb, b1p = b0p + ldb, b2p = b1p + ldb, b3p = b2p + ldb;
        Vector512<float> c00 = default, c01 = default, c02 = default, c03 = default;
        Vector512<float> c10 = default, c11 = default, c12 = default, c13 = default;
        Vector512<float> c20 = default, c21 = default, c22 = default, c23 = default;
        Vector512<float> c30 = default, c31 = default, c32 = default, c33 = default;
        int p = 0;
        for (; p + 16 <= k; p += 16)
        {
            Vector512<float> b0 = Vector512.Load(b0p + p);
            Vector512<float> b1 = Vector512.Load(b1p + p);
            Vector512<float> b2 = Vector512.Load(b2p + p);
            Vector512<float> b3 = Vector512.Load(b3p + p);
            Vector512<float> a0 = Vector512.Load(a0p + p);
            c00 = Vector512.FusedMultiplyAdd(a0, b0, c00);
            c01 = Vector512.FusedMultiplyAdd(a0, b1, c01);
            c02 = Vector512.FusedMultiplyAdd(a0, b2, c02);
            c03 = Vector512.FusedMultiplyAdd(a0, b3, c03);
            Vector512<float> a1 = Vector512.Load(a1p + p);
            c10 = Vector512.FusedMultiplyAdd(a1, b0, c10);
            c11 = Vector512.FusedMultiplyAdd(a1, b1, c11);
            c12 = Vector512.FusedMultiplyAdd(a1, b2, c12);
            c13 = Vector512.FusedMultiplyAdd(a1, b3, c13);
            Vector512<float> a2 = Vector512.Load(a2p + p);
            c20 = Vector512.FusedMultiplyAdd(a2, b0, c20);
            c21 = Vector512.FusedMultiplyAdd(a2, b1, c21);
            c22 = Vector512.FusedMultiplyAdd(a2, b2, c22);
            c23 = Vector512.FusedMultiplyAdd(a2, b3, c23);
            Vector512<float> a3 = Vector512.Load(a3p + p);
            c30 = Vector512.FusedMultiplyAdd(a3, b0, c30);
            c31 = Vector512.FusedMultiplyAdd(a3, b1, c31);
            c32 = Vector512.FusedMultiplyAdd(a3, b2, c32);
            c33 = Vector512.FusedMultiplyAdd(a3, b3, c33);
        }
        Vector128<float> r0 = Reduce4(c00, c01, c02, c03), r1 = Reduce4(c10, c11, c12, c13);
        Vector128<float> r2 = Reduce4(c20, c21, c22, c23), r3 = Reduce4(c30, c31, c32, c33);
        for (; p < k; p++)
        {
            var bv = Vector128.Create(b0p[p], b1p[p], b2p[p], b3p[p]);
            r0 += Vector128.Create(a0p[p]) * bv;
            r1 += Vector128.Create(a1p[p]) * bv;
            r2 += Vector128.Create(a2p[p]) * bv;
            r3 += Vector128.Create(a3p[p]) * bv;
        }
        StoreRow(c + (long)i * ldc + j, r0, bias, j, accumulate);
        StoreRow(c + (long)(i + 1) * ldc + j, r1, bias, j, accumulate);
        StoreRow(c + (long)(i + 2) * ldc + j, r2, bias, j, accumulate);
        StoreRow(c + (long)(i + 3) * ldc + j, r3, bias, j, accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow(float* target, Vector128<float> sums, float* bias, int j, bool accumulate)
    {
        if (bias != null) sums += Vector128.Load(bias + j);
        if (accumulate) sums += Vector128.Load(target);
        sums.Store(target);
    }

    /// <summary>[Σa, Σb, Σc, Σd]: each vector folded to 256 bits, then a horizontal-add tree.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> Reduce4(Vector512<float> a, Vector512<float> b, Vector512<float> c, Vector512<float> d)
    {
        Vector256<float> a2 = a.GetLower() + a.GetUpper(), b2 = b.GetLower() + b.GetUpper();
        Vector256<float> c2 = c.GetLower() + c.GetUpper(), d2 = d.GetLower() + d.GetUpper();
        if (Avx.IsSupported)
        {
            Vector256<float> abcd = Avx.HorizontalAdd(Avx.HorizontalAdd(a2, b2), Avx.HorizontalAdd(c2, d2));
            return abcd.GetLower() + abcd.GetUpper();
        }
        return Vector128.Create(Vector256.Sum(a2), Vector256.Sum(b2), Vector256.Sum(c2), Vector256.Sum(d2));
    }

    /// <summary>The eight horizontal sums as one Vector256.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Reduce8(Vector512<float> s0, Vector512<float> s1, Vector512<float> s2, Vector512<float> s3,
        Vector512<float> s4, Vector512<float> s5, Vector512<float> s6, Vector512<float> s7) =>
        Vector256.Create(Reduce4(s0, s1, s2, s3), Reduce4(s4, s5, s6, s7));
}
