using WeightPort.Fastai;
using WeightPort.IO;
using WeightPort.Tensors;
using Xunit;

namespace WeightPort.Tests.Tensors;

public sealed class TensorComparisonTests
{
    private static TensorInfo Tensor(float[] values, long[] shape, DType dtype = DType.Float32, long[]? stride = null, bool bigEndian = false)
    {
        var bytes = new byte[values.Length * dtype.ElementSize()];
        ElementConversion.FromFloat32(values, dtype, bytes);
        if (bigEndian)
        {
            int es = dtype.ElementSize();
            for (int i = 0; i < bytes.Length; i += es) Array.Reverse(bytes, i, es);
        }
        var storage = new TensorStorage("s", dtype, values.Length, new MemoryByteSource(bytes), 0, bigEndian);
        return TensorInfo.Create(storage, 0, shape, stride);
    }

    private static float[] Normal(int seed, int n)
    {
        var rng = new Random(seed);
        return [.. Enumerable.Range(0, n).Select(_ => (float)((rng.NextDouble() - 0.5) * Math.Pow(2, rng.Next(-8, 3))))];
    }

    [Fact]
    public void Compare_AcrossChunkBoundaries_ExactCountAndFirstIndex()
    {
        const int Rows = 500, Cols = 400; // 200,000 elements: four chunks
        var a = Normal(1, Rows * Cols);
        var b = (float[])a.Clone();
        b[150_001] += 0.25f;
        b[199_999] = -b[199_999] - 1f;
        var d = TensorComparison.Compare(Tensor(a, [Rows, Cols]), Tensor(b, [Rows, Cols]));
        Assert.Equal(2, d.Differing);
        Assert.Equal(150_001, d.FirstFlatIndex);
        Assert.Equal([375L, 1L], d.FirstIndex);
        Assert.Equal(MathF.Abs(a[199_999] - b[199_999]), d.MaxAbsDifference);
    }

    [Fact]
    public void Compare_StridedAndBigEndianViews_ComparedByValue()
    {
        var rowMajor = Normal(2, 12);
        // The same [4, 3] values stored column-major and read through strides (1, 4).
        var transposedStorage = new float[12];
        for (int r = 0; r < 4; r++) for (int c = 0; c < 3; c++) transposedStorage[c * 4 + r] = rowMajor[r * 3 + c];
        var strided = Tensor(transposedStorage, [4, 3], stride: [1, 4]);
        Assert.False(strided.IsContiguous);
        Assert.True(TensorComparison.Compare(Tensor(rowMajor, [4, 3]), strided).Equal);
        Assert.True(TensorComparison.Compare(Tensor(rowMajor, [4, 3]), Tensor(rowMajor, [4, 3], bigEndian: true)).Equal);
    }

    [Fact]
    public void Compare_NegativeZero_CountsAsDifferent()
    {
        var d = TensorComparison.Compare(Tensor([0f, 1f], [2]), Tensor([-0f, 1f], [2]));
        Assert.Equal(1, d.Differing);
        Assert.Equal(0, d.MaxAbsDifference);
    }

    [Fact]
    public void DropoutMask_RandomPAndValues_AcceptedWithScaleReproduced()
    {
        for (int seed = 0; seed < 200; seed++)
        {
            var rng = new Random(seed);
            float p = (float)(0.05 + 0.85 * rng.NextDouble());
            float s = 1f / (1f - p);
            var raw = Normal(seed + 1000, 997);
            var copy = raw.Select(r => rng.NextDouble() < p ? 0f : r * s).ToArray();
            var m = DropoutMaskCheck.Check(Tensor(raw, [raw.Length]), Tensor(copy, [copy.Length]));
            Assert.True(m.Explained, $"seed {seed}, p {p}: {m.Reason}");
            Assert.True(m.Exact, $"seed {seed}");
            Assert.Equal(1 - 1 / (double)s, m.P, 6);
            Assert.Equal(copy.Count(c => c == 0), m.Dropped);
        }
    }

    [Fact]
    public void DropoutMask_OneElementFourUlpOff_Refused()
    {
        for (int seed = 0; seed < 100; seed++)
        {
            var rng = new Random(seed);
            float p = (float)(0.05 + 0.85 * rng.NextDouble());
            float s = 1f / (1f - p);
            var raw = Normal(seed + 2000, 500);
            var copy = raw.Select(r => rng.NextDouble() < p ? 0f : r * s).ToArray();
            int victim = Enumerable.Range(0, copy.Length).First(i => copy[i] != 0 && i >= rng.Next(0, 400));
            for (int k = 0; k < 4; k++) copy[victim] = MathF.BitIncrement(copy[victim]);
            var m = DropoutMaskCheck.Check(Tensor(raw, [raw.Length]), Tensor(copy, [copy.Length]));
            Assert.False(m.Explained, $"seed {seed}: a 4-ULP error at {victim} was accepted");
            Assert.Equal(victim, m.FirstFlatIndex);
            Assert.Equal(1, m.Unexplained);
        }
    }

    [Fact]
    public void DropoutMask_TwoDifferentScales_Refused()
    {
        var raw = Normal(5, 400);
        var copy = raw.Select((r, i) => i % 3 == 0 ? 0f : i < 200 ? r * 2f : r * (1f / 0.7f)).ToArray();
        var m = DropoutMaskCheck.Check(Tensor(raw, [raw.Length]), Tensor(copy, [copy.Length]));
        Assert.False(m.Explained);
        Assert.True(m.Unexplained > 0);
    }

    [Fact]
    public void CastRoundTrip_Float16_CountsExactly()
    {
        var values = new float[] { 0.5f, 0.1f, 1024f, 65520f, float.NaN, 3.0517578e-05f };
        var d = TensorComparison.CastRoundTrip(Tensor(values, [6]), DType.Float16);
        // 0.1 rounds; 65520 overflows to infinity; the rest are exact (NaN stays NaN).
        Assert.Equal(2, d.Differing);
        Assert.Equal(1, d.FirstFlatIndex);
        Assert.True(double.IsPositiveInfinity(d.MaxAbsDifference));
    }
}
