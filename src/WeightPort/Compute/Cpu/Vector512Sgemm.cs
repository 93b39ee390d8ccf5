using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace WeightPort.Compute.Cpu;

/// <summary>
/// The AVX-512 products behind <see cref="ManagedSgemm"/>, over tiles of <see cref="TileN"/> = 64 B rows (output
/// columns), one tile per work item.
/// <list type="bullet">
/// <item>m ≥ 4: the tile is packed (widened to float32 and transposed: one line of 64 weights per step of k, in L2),
/// then 4×64 register blocks broadcast A and run one FMA chain per output; nothing is summed horizontally. A matrix
/// used by many products in a row (the recurrent weights over the timesteps of a batch) is packed once
/// (<see cref="ManagedSgemm.Pack"/>).</item>
/// <item>m &lt; 4 (the single-token step): GEMV rows, every output a dot product of an A row with a B row, eight
/// B rows streamed at once and widened in registers, so the weights cross the memory bus at their stored size.</item>
/// </list>
/// Which kernel computes an output depends only on m, its row and its column, never on the storage type, and every
/// storage is widened exactly: float16 weights that hold the float32 values give bitwise the float32 results.
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
                case WeightElement.FiniteFloat16: Rows<FiniteFloat16Load>(0, m, j0, j1, k, a, lda, b.Data, b.RowBytes, bias, c, ldc, accumulate); break;
                default: Rows<BFloat16Load>(0, m, j0, j1, k, a, lda, b.Data, b.RowBytes, bias, c, ldc, accumulate); break;
            }
            return;
        }
        fixed (float* panel = TileScratch(k))
        {
            int width = j1 - j0;
            switch (b.Element)
            {
                case WeightElement.Float32: Pack<Float32Load>(b, j0, width, k, panel); break;
                case WeightElement.Float16: Pack<Float16Load>(b, j0, width, k, panel); break;
                case WeightElement.FiniteFloat16: Pack<FiniteFloat16Load>(b, j0, width, k, panel); break;
                default: Pack<BFloat16Load>(b, j0, width, k, panel); break;
            }
            Panel(j0, width, m, k, a, lda, panel, bias, c, ldc, accumulate);
        }
    }

    /// <summary>
    /// Tile <paramref name="tile"/> of a product whose B was packed beforehand by <see cref="Pack{T}"/> into
    /// <paramref name="panels"/> (tile after tile, <c>k × TileN</c> floats each); for m ≥ <see cref="BlockRows"/>.
    /// </summary>
    public static void PackedTile(int tile, int m, int n, int k, float* a, int lda, float* panels, float* bias, float* c, int ldc, bool accumulate)
    {
        int j0 = tile * TileN;
        Panel(j0, Math.Min(n, j0 + TileN) - j0, m, k, a, lda, panels + (long)tile * TileN * k, bias, c, ldc, accumulate);
    }

    /// <summary>
    /// B rows <paramref name="j0"/> … + <paramref name="width"/> (≤ <see cref="TileN"/>) as float32, transposed:
    /// element p of row j0 + jj goes to <c>panel[p·TileN + jj]</c>, columns past the width are zero. The block
    /// kernel then reads one contiguous line of 64 weights per step of k and broadcasts A, so no output needs a
    /// horizontal sum.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Pack<T>(WeightView b, int j0, int width, int k, float* panel)
        where T : struct, IWeightLoad
    {
        // 16×16 blocks through a buffer in L1: rows are read (and widened) sixteen elements at a time, the panel is
        // written one contiguous line at a time; element by element, the strided side missed L1 on every access.
        float* block = stackalloc float[16 * 16];
        for (int jj0 = 0; jj0 < width; jj0 += 16)
        {
            int rows = Math.Min(16, width - jj0);
            for (int p0 = 0; p0 < k; p0 += 16)
            {
                int steps = Math.Min(16, k - p0);
                for (int r = 0; r < rows; r++)
                {
                    byte* row = b.Row(j0 + jj0 + r);
                    if (steps == 16) T.Load16(row, p0).Store(block + r * 16);
                    else for (int q = 0; q < steps; q++) block[r * 16 + q] = T.Load1(row, p0 + q);
                }
                for (int q = 0; q < steps; q++)
                {
                    float* line = panel + (long)(p0 + q) * TileN + jj0;
                    for (int r = 0; r < rows; r++) line[r] = block[r * 16 + q];
                }
            }
        }
        if (width < TileN)
            for (int p = 0; p < k; p++) new Span<float>(panel + (long)p * TileN + width, TileN - width).Clear();
    }

    private static void Panel(int j0, int width, int m, int k, float* a, int lda, float* panel, float* bias, float* c, int ldc, bool accumulate)
    {
        float* tileBias = bias == null ? null : bias + j0;
        if (width < TileN)
        {
            // The last, narrower tile of a row: the kernels write 64 columns, so they write into a buffer first.
            float* sums = stackalloc float[4 * TileN];
            for (int r0 = 0; r0 < m; r0 += 4)
            {
                int rows = Math.Min(4, m - r0);
                if (rows == 4) Kernel4x64(k, a + (long)r0 * lda, lda, panel, null, sums, TileN, accumulate: false);
                else for (int r = 0; r < rows; r++) Kernel1x64(k, a + (long)(r0 + r) * lda, panel, null, sums + r * TileN, accumulate: false);
                StorePartial(sums, rows, c + (long)r0 * ldc + j0, ldc, tileBias, width, accumulate);
            }
            return;
        }
        int i = 0;
        for (; i + 4 <= m; i += 4) Kernel4x64(k, a + (long)i * lda, lda, panel, tileBias, c + (long)i * ldc + j0, ldc, accumulate);
        for (; i < m; i++) Kernel1x64(k, a + (long)i * lda, panel, tileBias, c + (long)i * ldc + j0, accumulate);
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

    /// <summary>
    /// Four A rows against a packed tile: 16 Vector512 accumulators, one FMA chain per output along k, all 64 columns
    /// written. Nothing but stores follows the loop (a call after it made the JIT spill every accumulator in the loop).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel4x64(int k, float* a0, int lda, float* panel, float* bias, float* c0, int ldc, bool accumulate)
    {
        float* a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda;
        Vector512<float> c00 = default, c01 = default, c02 = default, c03 = default;
        Vector512<float> c10 = default, c11 = default, c12 = default, c13 = default;
        Vector512<float> c20 = default, c21 = default, c22 = default, c23 = default;
        Vector512<float> c30 = default, c31 = default, c32 = default, c33 = default;
        float* line = panel;
        for (int p = 0; p < k; p++, line += TileN)
        {
            Vector512<float> b0 = Vector512.Load(line), b1 = Vector512.Load(line + 16), b2 = Vector512.Load(line + 32), b3 = Vector512.Load(line + 48);
            Vector512<float> x = Vector512.Create(a0[p]);
            c00 = Vector512.FusedMultiplyAdd(x, b0, c00);
            c01 = Vector512.FusedMultiplyAdd(x, b1, c01);
            c02 = Vector512.FusedMultiplyAdd(x, b2, c02);
            c03 = Vector512.FusedMultiplyAdd(x, b3, c03);
            x = Vector512.Create(a1[p]);
            c10 = Vector512.FusedMultiplyAdd(x, b0, c10);
            c11 = Vector512.FusedMultiplyAdd(x, b1, c11);
            c12 = Vector512.FusedMultiplyAdd(x, b2, c12);
            c13 = Vector512.FusedMultiplyAdd(x, b3, c13);
            x = Vector512.Create(a2[p]);
            c20 = Vector512.FusedMultiplyAdd(x, b0, c20);
            c21 = Vector512.FusedMultiplyAdd(x, b1, c21);
            c22 = Vector512.FusedMultiplyAdd(x, b2, c22);
            c23 = Vector512.FusedMultiplyAdd(x, b3, c23);
            x = Vector512.Create(a3[p]);
            c30 = Vector512.FusedMultiplyAdd(x, b0, c30);
            c31 = Vector512.FusedMultiplyAdd(x, b1, c31);
            c32 = Vector512.FusedMultiplyAdd(x, b2, c32);
            c33 = Vector512.FusedMultiplyAdd(x, b3, c33);
        }
        StoreRow(c0, c00, c01, c02, c03, bias, accumulate);
        StoreRow(c0 + ldc, c10, c11, c12, c13, bias, accumulate);
        StoreRow(c0 + 2L * ldc, c20, c21, c22, c23, bias, accumulate);
        StoreRow(c0 + 3L * ldc, c30, c31, c32, c33, bias, accumulate);
    }

    /// <summary>One A row against a packed tile (the rows past a multiple of four).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel1x64(int k, float* a0, float* panel, float* bias, float* c0, bool accumulate)
    {
        Vector512<float> c00 = default, c01 = default, c02 = default, c03 = default;
        float* line = panel;
        for (int p = 0; p < k; p++, line += TileN)
        {
            Vector512<float> x = Vector512.Create(a0[p]);
            c00 = Vector512.FusedMultiplyAdd(x, Vector512.Load(line), c00);
            c01 = Vector512.FusedMultiplyAdd(x, Vector512.Load(line + 16), c01);
            c02 = Vector512.FusedMultiplyAdd(x, Vector512.Load(line + 32), c02);
            c03 = Vector512.FusedMultiplyAdd(x, Vector512.Load(line + 48), c03);
        }
        StoreRow(c0, c00, c01, c02, c03, bias, accumulate);
    }

    /// <summary>Writes 64 sums (+ bias) (+ the existing C) to a C row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow(float* target, Vector512<float> s0, Vector512<float> s1, Vector512<float> s2, Vector512<float> s3, float* bias, bool accumulate)
    {
        StoreSixteen(target, s0, bias, accumulate);
        StoreSixteen(target + 16, s1, bias == null ? null : bias + 16, accumulate);
        StoreSixteen(target + 32, s2, bias == null ? null : bias + 32, accumulate);
        StoreSixteen(target + 48, s3, bias == null ? null : bias + 48, accumulate);
    }

    /// <summary>The first <paramref name="width"/> sums of each of <paramref name="rows"/> rows of 64 (+ bias) (+ the existing C), for the last tile of a row.</summary>
    private static void StorePartial(float* sums, int rows, float* c0, int ldc, float* bias, int width, bool accumulate)
    {
        for (int r = 0; r < rows; r++)
        {
            float* target = c0 + (long)r * ldc;
            for (int j = 0; j < width; j++)
            {
                float v = sums[r * TileN + j];
                if (bias != null) v += bias[j];
                target[j] = accumulate ? target[j] + v : v;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreSixteen(float* target, Vector512<float> sums, float* bias, bool accumulate)
    {
        if (bias != null) sums += Vector512.Load(bias);
        if (accumulate) sums += Vector512.Load(target);
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
