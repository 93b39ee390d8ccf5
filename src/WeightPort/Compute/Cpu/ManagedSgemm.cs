using System.Runtime.Intrinsics;

namespace WeightPort.Compute.Cpu;

/// <summary>
/// The managed <see cref="ISgemm"/>: <see cref="Vector512Sgemm"/> on CPUs with AVX-512, else <see cref="Vector256Sgemm"/>
/// (float16 and bfloat16 tiles then widened to float32 first, so that they too give bitwise the float32 results).
/// Work is split over tiles of B rows, in parallel over the cores, so a single-row product (a GEMV) streams disjoint
/// parts of the weight matrix on every core.
/// </summary>
internal sealed unsafe class ManagedSgemm : ISgemm
{
    /// <summary>Below this many multiply-adds the product runs on the calling thread.</summary>
    private const long ParallelThreshold = 1 << 17;

    private ManagedSgemm()
    {
    }

    /// <summary>The shared instance (the kernels are stateless).</summary>
    public static ManagedSgemm Instance { get; } = new();

    /// <summary>True when the Vector512 kernels run in hardware.</summary>
    public static bool IsVector512 => Vector512.IsHardwareAccelerated;

    /// <inheritdoc />
    public string Description => IsVector512
        ? $"managed Vector512 kernels (AVX-512, {Environment.ProcessorCount} cores)"
        : Vector256Sgemm.Instance.Description;

    /// <inheritdoc />
    public bool Supports(WeightElement element) => true;

    /// <inheritdoc />
    public void MultiplyTransposed(int m, int n, int k, float* a, int lda, float* b, int ldb, float* bias, float* c, int ldc, bool accumulate) =>
        MultiplyTransposed(m, n, k, a, lda, WeightView.Float32(b, ldb), bias, c, ldc, accumulate);

    /// <inheritdoc />
    public void MultiplyTransposed(int m, int n, int k, float* a, int lda, WeightView b, float* bias, float* c, int ldc, bool accumulate)
    {
        if (m == 0 || n == 0) return;
        Run(new TileProduct(m, n, k, (nint)a, lda, b, (nint)bias, (nint)c, ldc, accumulate), null);
    }

    /// <summary>
    /// Packs all of <paramref name="b"/> [<paramref name="n"/>, <paramref name="k"/>] into float32 panels for
    /// <see cref="MultiplyPacked"/>: <c>⌈n / 64⌉ · 64 · k</c> floats at <paramref name="panels"/>. For a matrix that
    /// many products with m ≥ 4 use in a row (the recurrent weights over the timesteps of a batch). AVX-512 only.
    /// </summary>
    public void Pack(WeightView b, int n, int k, float* panels)
    {
        if (!IsVector512) throw new NotSupportedException("packed products need AVX-512");
        int tiles = (n + Vector512Sgemm.TileN - 1) / Vector512Sgemm.TileN;
        CoreTeam.Shared.Run(new PackWork(b, n, k, (nint)panels), tiles);
    }

    /// <summary>
    /// <c>C = A·Bᵀ (+ bias) (+ C)</c> with B from <see cref="Pack"/>, m ≥ <see cref="Vector512Sgemm.BlockRows"/>:
    /// bitwise what <see cref="MultiplyTransposed(int, int, int, float*, int, WeightView, float*, float*, int, bool)"/>
    /// gives, without packing each tile again.
    /// </summary>
    public void MultiplyPacked(int m, int n, int k, float* a, int lda, float* panels, float* bias, float* c, int ldc, bool accumulate)
    {
        if (m < Vector512Sgemm.BlockRows) throw new ArgumentOutOfRangeException(nameof(m), m, "packed products need m >= 4");
        int tiles = (n + Vector512Sgemm.TileN - 1) / Vector512Sgemm.TileN;
        var work = new PackedWork(m, n, k, (nint)a, lda, (nint)panels, (nint)bias, (nint)c, ldc, accumulate);
        if ((long)m * n * k < ParallelThreshold || tiles == 1) for (int t = 0; t < tiles; t++) work.Run(t);
        else CoreTeam.Shared.Run(work, tiles);
    }

    /// <summary>
    /// Two products with the same <c>n</c> into the same output rows, the second accumulating: bitwise what two
    /// calls give, in one hand-off to the cores instead of two.
    /// </summary>
    public void MultiplyTransposedPair(TileProduct first, TileProduct second)
    {
        if (first.N != second.N) throw new ArgumentException("the two products must have the same n", nameof(second));
        if (first.M == 0 || first.N == 0) return;
        if (!IsVector512 && (first.B.Element != WeightElement.Float32 || second.B.Element != WeightElement.Float32))
        {
            Run(first, null);
            Run(second, null);
            return;
        }
        Run(first, second);
    }

    private static void Run(TileProduct first, TileProduct? second)
    {
        if (!IsVector512 && first.B.Element == WeightElement.Float32 && second is null)
        {
            Vector256Sgemm.Instance.MultiplyTransposed(first.M, first.N, first.K, (float*)first.A, first.Lda, (float*)first.B.Data, first.B.Ld,
                (float*)first.Bias, (float*)first.C, first.Ldc, first.Accumulate);
            return;
        }
        int tiles = first.Tiles;
        long work = first.Work + (second?.Work ?? 0);
        if (work < ParallelThreshold || tiles == 1 || Environment.ProcessorCount == 1)
        {
            for (int t = 0; t < tiles; t++)
            {
                Tile(t, first);
                if (second is { } s) Tile(t, s);
            }
            return;
        }
        CoreTeam.Shared.Run(new TileWork(first, second), tiles);
    }

    /// <summary>Tile <paramref name="t"/> of <paramref name="p"/>.</summary>
    internal static void Tile(int t, TileProduct p) =>
        Tile(t, p.M, p.N, p.K, (float*)p.A, p.Lda, p.B, (float*)p.Bias, (float*)p.C, p.Ldc, p.Accumulate);

    private static void Tile(int t, int m, int n, int k, float* a, int lda, WeightView b, float* bias, float* c, int ldc, bool accumulate)
    {
        if (IsVector512)
        {
            Vector512Sgemm.Tile(t, m, n, k, a, lda, b, bias, c, ldc, accumulate);
            return;
        }
        // Without AVX-512 the float32 products are Vector256Sgemm's, whose tiles are as wide as these: the widened
        // tile goes through the same kernel at the same column offsets.
        int j0 = t * Vector512Sgemm.TileN, width = Math.Min(n, j0 + Vector512Sgemm.TileN) - j0;
        if (b.Element == WeightElement.Float32)
        {
            Vector256Sgemm.Instance.MultiplyTransposed(m, width, k, a, lda, (float*)b.Row(j0), b.Ld, bias == null ? null : bias + j0, c + j0, ldc, accumulate);
            return;
        }
        fixed (float* w = Vector512Sgemm.TileScratch(k))
        {
            for (int r = 0; r < width; r++)
            {
                byte* row = b.Row(j0 + r);
                float* target = w + (long)r * k;
                if (b.Element is WeightElement.Float16 or WeightElement.FiniteFloat16) for (int p = 0; p < k; p++) target[p] = Float16Load.Load1(row, p);
                else for (int p = 0; p < k; p++) target[p] = BFloat16Load.Load1(row, p);
            }
            Vector256Sgemm.Instance.MultiplyTransposed(m, width, k, a, lda, w, k, bias == null ? null : bias + j0, c + j0, ldc, accumulate);
        }
    }

    private sealed class PackWork(WeightView b, int n, int k, nint panels) : TeamWork
    {
        public override void Run(int item)
        {
            int j0 = item * Vector512Sgemm.TileN, width = Math.Min(n, j0 + Vector512Sgemm.TileN) - j0;
            float* panel = (float*)panels + (long)item * Vector512Sgemm.TileN * k;
            switch (b.Element)
            {
                case WeightElement.Float32: Vector512Sgemm.Pack<Float32Load>(b, j0, width, k, panel); break;
                case WeightElement.Float16: Vector512Sgemm.Pack<Float16Load>(b, j0, width, k, panel); break;
                case WeightElement.FiniteFloat16: Vector512Sgemm.Pack<FiniteFloat16Load>(b, j0, width, k, panel); break;
                default: Vector512Sgemm.Pack<BFloat16Load>(b, j0, width, k, panel); break;
            }
        }
    }

    private sealed class PackedWork(int m, int n, int k, nint a, int lda, nint panels, nint bias, nint c, int ldc, bool accumulate) : TeamWork
    {
        public override void Run(int item) =>
            Vector512Sgemm.PackedTile(item, m, n, k, (float*)a, lda, (float*)panels, (float*)bias, (float*)c, ldc, accumulate);
    }
}
