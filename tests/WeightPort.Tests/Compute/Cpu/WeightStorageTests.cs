using System.Runtime.Intrinsics;
using WeightPort.Compute.Cpu;
using WeightPort.Fastai;
using WeightPort.Model;
using Xunit;

namespace WeightPort.Tests.Compute.Cpu;

/// <summary>
/// float16 and bfloat16 weight storage: the widening is exact for every bit pattern, products over float16 weights
/// are bitwise the float32 products of the same values at every length, and a model whose weights are exact in float16
/// runs on float16 by default with bitwise the float32 logits. CI reruns these with AVX-512 and AVX2 turned off.
/// </summary>
public sealed unsafe class WeightStorageTests
{
    [Fact]
    public void Float16Widen_EveryBitPattern_EqualsHalfToSingle()
    {
        var bits = new ushort[65536];
        for (int i = 0; i < bits.Length; i++) bits[i] = (ushort)i;
        var widened = new float[16];
        fixed (ushort* p = bits)
        {
            for (int i = 0; i < bits.Length; i += 16)
            {
                Float16Load.Load16((byte*)p, i).CopyTo(widened);
                for (int j = 0; j < 16; j++)
                {
                    float expected = (float)BitConverter.UInt16BitsToHalf(bits[i + j]);
                    Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(widened[j]) || (float.IsNaN(expected) && float.IsNaN(widened[j])),
                        $"0x{bits[i + j]:X4}: {widened[j]} but {expected} expected");
                    Assert.Equal(BitConverter.SingleToInt32Bits(expected), BitConverter.SingleToInt32Bits(Float16Load.Load1((byte*)p, i + j)));
                }
            }
        }
    }

    [Fact]
    public void FiniteFloat16Widen_EveryFiniteBitPattern_EqualsHalfToSingle()
    {
        // Every pattern but the 2,048 with an all-ones exponent (infinities and NaNs): 3,968 vectors of 16.
        ushort[] bits = [.. Enumerable.Range(0, 65536).Where(h => (h & 0x7C00) != 0x7C00).Select(h => (ushort)h)];
        var widened = new float[16];
        fixed (ushort* p = bits)
        {
            for (int i = 0; i < bits.Length; i += 16)
            {
                FiniteFloat16Load.Load16((byte*)p, i).CopyTo(widened);
                for (int j = 0; j < 16; j++)
                {
                    float expected = (float)BitConverter.UInt16BitsToHalf(bits[i + j]);
                    Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(widened[j]),
                        $"0x{bits[i + j]:X4}: {widened[j]} but {expected} expected");
                }
            }
        }
    }

    [Fact]
    public void HalfWeightStore_FiniteFloat16OnlyWhenNoValueIsInfiniteOrNaN()
    {
        float[] finite = [.. Enumerable.Range(0, 1000).Select(i => (float)(Half)((i - 500) / 64.0))];
        using (var store = HalfWeightStore.Create([finite], WeightElement.Float16, exactOnly: true, out _))
            Assert.Equal(WeightElement.FiniteFloat16, store!.Element);
        // An infinity exact in float16, in a second matrix; and a finite value that rounds to one when lossy.
        float[] infinite = [.. finite];
        infinite[700] = float.NegativeInfinity;
        using (var store = HalfWeightStore.Create([finite, infinite], WeightElement.Float16, exactOnly: true, out _))
            Assert.Equal(WeightElement.Float16, store!.Element);
        float[] large = [.. finite];
        large[3] = 70000f;
        using (var store = HalfWeightStore.Create([large], WeightElement.Float16, exactOnly: false, out _))
            Assert.Equal(WeightElement.Float16, store!.Element);
        using (var store = HalfWeightStore.Create([finite], WeightElement.BFloat16, exactOnly: false, out _))
            Assert.Equal(WeightElement.BFloat16, store!.Element);
    }

    [Fact]
    public void HalfWeightStore_EveryFloat16Value_ConvertsExactlyAndAnInexactOneAbandons()
    {
        // Every finite float16 value (zeros, subnormals, normals, both signs) and the infinities, as float32, in an
        // order that mixes the vector and the scalar paths; then the same with one value float16 cannot hold.
        var values = new List<float>();
        for (int h = 0; h < 65536; h++)
        {
            Half v = BitConverter.UInt16BitsToHalf((ushort)h);
            if (!Half.IsNaN(v)) values.Add((float)v);
        }
        float[] all = [.. values];
        new Random(3).Shuffle(all.AsSpan(0, 40000));
        using (var store = HalfWeightStore.Create([all], WeightElement.Float16, exactOnly: true, out int inexact))
        {
            Assert.NotNull(store);
            Assert.Equal(-1, inexact);
            for (int i = 0; i < all.Length; i++)
                Assert.True(BitConverter.HalfToUInt16Bits((Half)all[i]) == store![0][i], $"value {all[i]} stored as 0x{store![0][i]:X4}");
        }
        // A mantissa bit below float16's, just past the largest exponent, below the smallest subnormal: among
        // mixed values (the scalar path) and among plain ones (the vector path).
        foreach (float bad in new[] { 1f + 1f / 4096, 65536f, 1e-8f })
        {
            float[] spoilt = [.. all];
            spoilt[12345] = bad;
            Assert.Null(HalfWeightStore.Create([all, spoilt], WeightElement.Float16, exactOnly: true, out int first));
            Assert.Equal(1, first);
            float[] plain = Enumerable.Repeat(1.5f, 100).ToArray();
            plain[40] = bad;
            Assert.Null(HalfWeightStore.Create([plain], WeightElement.Float16, exactOnly: true, out first));
            Assert.Equal(0, first);
        }
    }

    [Fact]
    public void BFloat16Widen_EveryBitPattern_IsTheUpperHalf()
    {
        var bits = new ushort[65536];
        for (int i = 0; i < bits.Length; i++) bits[i] = (ushort)i;
        var widened = new float[16];
        fixed (ushort* p = bits)
            for (int i = 0; i < bits.Length; i += 16)
            {
                BFloat16Load.Load16((byte*)p, i).CopyTo(widened);
                for (int j = 0; j < 16; j++) Assert.Equal(bits[i + j] << 16, BitConverter.SingleToInt32Bits(widened[j]));
            }
    }

    /// <summary>Values exact in both float16 and bfloat16: 8 significant bits, exponents well inside both ranges.</summary>
    private static float[] Exact(Random random, int n)
    {
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (random.Next(-255, 256) / 256f) * MathF.Pow(2, random.Next(-6, 3));
        return a;
    }

    private static float[] Any(Random random, int n)
    {
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = random.NextSingle() * 2f - 1f;
        return a;
    }

    private static ushort[] Stored(float[] values, WeightElement element)
    {
        var s = new ushort[values.Length];
        for (int i = 0; i < values.Length; i++)
            s[i] = element is WeightElement.Float16 or WeightElement.FiniteFloat16
                ? BitConverter.HalfToUInt16Bits((Half)values[i])
                : (ushort)(BitConverter.SingleToUInt32Bits(values[i]) >> 16);
        return s;
    }

    private static WeightElement Element(string storage) => storage switch
    {
        "float16" => WeightElement.Float16,
        "finite float16" => WeightElement.FiniteFloat16,
        _ => WeightElement.BFloat16,
    };

    /// <summary>The product over float32 weights and over the same weights stored as <paramref name="element"/>: bitwise equal.</summary>
    private static void CheckBitwise(WeightElement element, int m, int n, int k, bool bias, bool accumulate, int seed)
    {
        var random = new Random(seed);
        int lda = k + 3, ldb = k + 1, ldc = n + 2;
        // Only B is stored narrow; A and C are arbitrary floats, so the sums round and any change of order would show.
        float[] a = Any(random, Math.Max(1, m * lda)), b = Exact(random, Math.Max(1, n * ldb)), biasValues = Any(random, Math.Max(1, n));
        float[] c0 = Any(random, Math.Max(1, m * ldc));
        float[] c1 = (float[])c0.Clone();
        ushort[] stored = Stored(b, element);
        fixed (float* pa = a, pb = b, pbias = biasValues, p0 = c0, p1 = c1)
        fixed (ushort* ps = stored)
        {
            ManagedSgemm.Instance.MultiplyTransposed(m, n, k, pa, lda, WeightView.Float32(pb, ldb), bias ? pbias : null, p0, ldc, accumulate);
            ManagedSgemm.Instance.MultiplyTransposed(m, n, k, pa, lda, new WeightView(ps, ldb, element), bias ? pbias : null, p1, ldc, accumulate);
        }
        for (int i = 0; i < c0.Length; i++)
            Assert.True(BitConverter.SingleToInt32Bits(c0[i]) == BitConverter.SingleToInt32Bits(c1[i]),
                $"{element} m={m} n={n} k={k}: element {i} is {c1[i]}, float32 gave {c0[i]}");
    }

    [Theory]
    [InlineData("float16")]
    [InlineData("finite float16")]
    [InlineData("bfloat16")]
    public void HalfWeights_EveryInnerLength0To257_BitwiseEqualToFloat32(string storage)
    {
        WeightElement element = Element(storage);
        for (int k = 0; k <= 257; k++)
        {
            CheckBitwise(element, 1, 9, k, bias: k % 2 == 0, accumulate: k % 3 == 0, seed: k);
            CheckBitwise(element, 5, 9, k, bias: k % 2 == 1, accumulate: k % 3 == 1, seed: 1000 + k);
        }
    }

    [Theory]
    [InlineData("float16")]
    [InlineData("finite float16")]
    [InlineData("bfloat16")]
    public void HalfWeights_EveryOuterLength0To257_BitwiseEqualToFloat32(string storage)
    {
        WeightElement element = Element(storage);
        for (int len = 0; len <= 257; len++)
        {
            CheckBitwise(element, len, 3, 17, bias: true, accumulate: len % 2 == 0, seed: len);
            CheckBitwise(element, 2, len, 33, bias: len % 2 == 0, accumulate: true, seed: 500 + len);
            CheckBitwise(element, 6, len, 40, bias: false, accumulate: false, seed: 900 + len);
        }
    }

    [Theory]
    [InlineData("float16")]
    [InlineData("finite float16")]
    [InlineData("bfloat16")]
    public void HalfWeights_Wt103LikeShapes_BitwiseEqualToFloat32(string storage)
    {
        WeightElement element = Element(storage);
        int[][] shapes = [[1, 4608, 400], [3, 1600, 1152], [4, 300, 400], [16, 520, 1152], [67, 131, 400]];
        int seed = 0;
        foreach (int[] s in shapes) CheckBitwise(element, s[0], s[1], s[2], bias: seed % 2 == 0, accumulate: seed % 3 == 0, seed: seed++);
    }

    [Theory]
    [InlineData(1, 4608, 400, 1152)]
    [InlineData(1, 70, 33, 17)]
    [InlineData(3, 260, 20, 36)]
    public void MultiplyTransposedPair_IsBitwiseTheTwoCalls(int m, int n, int k1, int k2)
    {
        var random = new Random(m + n);
        float[] a1 = Any(random, m * k1), a2 = Any(random, m * k2), b1 = Any(random, n * k1), b2 = Any(random, n * k2), bias = Any(random, n);
        var separate = new float[m * n];
        var paired = new float[m * n];
        fixed (float* pa1 = a1, pa2 = a2, pb1 = b1, pb2 = b2, pbias = bias, ps = separate, pp = paired)
        {
            ManagedSgemm.Instance.MultiplyTransposed(m, n, k1, pa1, k1, pb1, k1, pbias, ps, n, accumulate: false);
            ManagedSgemm.Instance.MultiplyTransposed(m, n, k2, pa2, k2, pb2, k2, null, ps, n, accumulate: true);
            ManagedSgemm.Instance.MultiplyTransposedPair(
                new TileProduct(m, n, k1, (nint)pa1, k1, WeightView.Float32(pb1, k1), (nint)pbias, (nint)pp, n, Accumulate: false),
                new TileProduct(m, n, k2, (nint)pa2, k2, WeightView.Float32(pb2, k2), 0, (nint)pp, n, Accumulate: true));
        }
        for (int i = 0; i < separate.Length; i++)
            Assert.True(BitConverter.SingleToInt32Bits(separate[i]) == BitConverter.SingleToInt32Bits(paired[i]), $"element {i}: paired {paired[i]}, separate {separate[i]}");
    }

    [SkippableTheory]
    [InlineData("float32", 4, 4608, 1152)]
    [InlineData("float16", 16, 1600, 400)]
    [InlineData("finite float16", 5, 130, 33)]
    [InlineData("bfloat16", 7, 130, 33)]
    public void MultiplyPacked_IsBitwiseMultiplyTransposed(string storage, int m, int n, int k)
    {
        Skip.If(!ManagedSgemm.IsVector512, "packed products need AVX-512");
        var random = new Random(n);
        float[] a = Any(random, m * k), b = Exact(random, n * k), c0 = Any(random, m * n), bias = Any(random, n);
        float[] c1 = (float[])c0.Clone();
        var panels = new float[(n + 63) / 64 * 64 * k];
        ushort[] narrow = storage == "float32" ? [] : Stored(b, Element(storage));
        fixed (float* pa = a, pb = b, pc0 = c0, pc1 = c1, pbias = bias, pp = panels)
        fixed (ushort* pn = narrow)
        {
            WeightView view = storage == "float32" ? WeightView.Float32(pb, k) : new WeightView(pn, k, Element(storage));
            ManagedSgemm.Instance.MultiplyTransposed(m, n, k, pa, k, view, pbias, pc0, n, accumulate: true);
            ManagedSgemm.Instance.Pack(view, n, k, pp);
            ManagedSgemm.Instance.MultiplyPacked(m, n, k, pa, k, pp, pbias, pc1, n, accumulate: true);
        }
        for (int i = 0; i < c0.Length; i++)
            Assert.True(BitConverter.SingleToInt32Bits(c0[i]) == BitConverter.SingleToInt32Bits(c1[i]), $"element {i}: packed {c1[i]}, direct {c0[i]}");
    }

    private static AwdLstmWeights Model(AwdLstmConfig config, bool exact, int seed)
    {
        var random = new Random(seed);
        float[] Fill(int n)
        {
            float[] v = Exact(random, n);
            if (!exact) v[n / 2] = 0.1f; // 0.1 has no exact float16
            return v;
        }
        var layers = new List<IReadOnlyList<LstmDirectionWeights>>();
        for (int l = 0; l < config.Layers; l++)
        {
            int input = config.LayerInputSize(l), hidden = config.LayerHiddenSize(l);
            layers.Add([new LstmDirectionWeights(Fill(4 * hidden * input), Fill(4 * hidden * hidden), Fill(4 * hidden), Fill(4 * hidden))]);
        }
        return new AwdLstmWeights(config, Fill(config.VocabSize * config.EmbSize), layers, null, Fill(config.VocabSize), true, null);
    }

    [Fact]
    public void Model_WeightsExactInFloat16_AutoStoresFloat16AndLogitsAreBitwiseFloat32()
    {
        var config = new AwdLstmConfig(300, 40, 72, 3);
        AwdLstmWeights weights = Model(config, exact: true, seed: 5);
        using var autoBackend = CpuBackend.Create(CpuBlas.Managed);
        using var fp32Backend = CpuBackend.Create(CpuBlas.Managed, CpuWeightPrecision.Float32);
        using var half = AwdLstm.FromWeights(weights, autoBackend);
        using var full = AwdLstm.FromWeights(weights, fp32Backend);
        Assert.StartsWith(Vector512.IsHardwareAccelerated ? "float16" : "float32", half.WeightStorage);
        Assert.StartsWith("float32", full.WeightStorage);
        var random = new Random(9);
        // Stateful calls: single tokens, a batch growing past the block kernel's 4 rows, then shrinking.
        foreach (var (batch, seq) in new[] { (1, 1), (1, 1), (5, 3), (16, 2), (2, 4) })
        {
            int[] tokens = Enumerable.Range(0, batch * seq).Select(_ => random.Next(config.VocabSize)).ToArray();
            using AwdLstmOutput a = half.Forward(tokens, batch, seq), b = full.Forward(tokens, batch, seq);
            for (int i = 0; i < a.Logits.Length; i++)
                Assert.True(BitConverter.SingleToInt32Bits(a.Logits[i]) == BitConverter.SingleToInt32Bits(b.Logits[i]),
                    $"[{batch}×{seq}] logit {i}: float16 storage {a.Logits[i]}, float32 {b.Logits[i]}");
        }
    }

    [Fact]
    public void Model_OneWeightNotExactInFloat16_AutoKeepsFloat32()
    {
        AwdLstmWeights weights = Model(new AwdLstmConfig(50, 16, 24, 2), exact: false, seed: 6);
        using var backend = CpuBackend.Create(CpuBlas.Managed);
        using var model = AwdLstm.FromWeights(weights, backend);
        Assert.StartsWith("float32", model.WeightStorage);
    }

    [Fact]
    public void Model_ExplicitFloat16OnInexactWeights_ReportsTheRoundedCount()
    {
        AwdLstmWeights weights = Model(new AwdLstmConfig(50, 16, 24, 2), exact: false, seed: 7);
        using var backend = CpuBackend.Create(CpuBlas.Managed, CpuWeightPrecision.Float16);
        using var model = AwdLstm.FromWeights(weights, backend);
        // Every matrix got one 0.1 (the biases stay float32): embedding, then W_ih and W_hh of two layers.
        Assert.Contains("lossy: 5 of", model.WeightStorage);
    }

    [SkippableFact]
    public void Create_HalfWeightsWithOpenBlas_Throws()
    {
        Skip.If(!CpuBackend.IsOpenBlasAvailable, "OpenBLAS is not installed");
        Assert.Throws<ArgumentException>(() => CpuBackend.Create(CpuBlas.OpenBlas, CpuWeightPrecision.Float16));
    }
}
