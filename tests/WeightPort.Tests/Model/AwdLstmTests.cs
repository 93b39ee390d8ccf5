using WeightPort.Compute.Cpu;
using WeightPort.Fastai;
using WeightPort.Model;
using Xunit;

namespace WeightPort.Tests.Model;

/// <summary>The language-model forward pass against <see cref="NaiveAwdLstm"/>, on both CPU matrix-product backends.</summary>
public sealed class AwdLstmTests
{
    private const double Tolerance = 2e-5;

    public static TheoryData<CpuBlas> Backends => new() { CpuBlas.Managed, CpuBlas.OpenBlas };

    private static CpuBackend Backend(CpuBlas blas)
    {
        Skip.If(blas == CpuBlas.OpenBlas && !CpuBackend.IsOpenBlasAvailable, "OpenBLAS is not installed");
        return CpuBackend.Create(blas);
    }

    private static readonly AwdLstmConfig Small = new(VocabSize: 37, EmbSize: 12, HiddenSize: 20, Layers: 3);
    private static readonly AwdLstmConfig SmallBidirectional = new(VocabSize: 29, EmbSize: 10, HiddenSize: 18, Layers: 2, Bidirectional: true);

    private static void AssertMatches(NaiveAwdLstm naive, AwdLstmOutput output, double[][][] expectedHidden, string what)
    {
        for (int b = 0; b < output.Batch; b++)
            for (int t = 0; t < output.Seq; t++)
            {
                ReadOnlySpan<float> hidden = output.LastHiddenAt(b, t);
                for (int j = 0; j < hidden.Length; j++)
                    Assert.True(Math.Abs(hidden[j] - expectedHidden[b][t][j]) <= Tolerance,
                        $"{what}: hidden[{b},{t},{j}] = {hidden[j]}, {expectedHidden[b][t][j]} expected");
                double[] logits = naive.Decode(expectedHidden[b][t]);
                ReadOnlySpan<float> actual = output.LogitsAt(b, t);
                for (int v = 0; v < logits.Length; v++)
                    Assert.True(Math.Abs(actual[v] - logits[v]) <= Tolerance * (1 + Math.Abs(logits[v])),
                        $"{what}: logits[{b},{t},{v}] = {actual[v]}, {logits[v]} expected");
            }
    }

    [SkippableTheory]
    [MemberData(nameof(Backends))]
    public void Forward_Unidirectional_MatchesDoubleReference(CpuBlas blas)
    {
        AwdLstmWeights weights = TestModels.Create(Small, seed: 1);
        using CpuBackend backend = Backend(blas);
        using AwdLstm model = AwdLstm.FromWeights(weights, backend);
        var naive = new NaiveAwdLstm(weights);
        int[] tokens = TestModels.Tokens(2, 3 * 9, Small.VocabSize);
        AssertMatches(naive, model.Forward(tokens, 3, 9), naive.Encode(tokens, 3, 9), "first call");
        int[] more = TestModels.Tokens(3, 3 * 4, Small.VocabSize);
        AssertMatches(naive, model.Forward(more, 3, 4), naive.Encode(more, 3, 4), "stateful second call");
    }

    [SkippableTheory]
    [MemberData(nameof(Backends))]
    public void Forward_Bidirectional_MatchesDoubleReference(CpuBlas blas)
    {
        AwdLstmWeights weights = TestModels.Create(SmallBidirectional, seed: 4, tied: false);
        using CpuBackend backend = Backend(blas);
        using AwdLstm model = AwdLstm.FromWeights(weights, backend);
        var naive = new NaiveAwdLstm(weights);
        int[] tokens = TestModels.Tokens(5, 4 * 6, SmallBidirectional.VocabSize);
        AssertMatches(naive, model.Forward(tokens, 4, 6), naive.Encode(tokens, 4, 6), "bidirectional");
        int[] more = TestModels.Tokens(6, 4 * 3, SmallBidirectional.VocabSize);
        AssertMatches(naive, model.Forward(more, 4, 3), naive.Encode(more, 4, 3), "bidirectional second call");
    }

    [SkippableTheory]
    [MemberData(nameof(Backends))]
    public void Forward_TwoConsecutiveCalls_EqualOneCallOnTheConcatenation(CpuBlas blas)
    {
        AwdLstmWeights weights = TestModels.Create(Small, seed: 7);
        using CpuBackend backend = Backend(blas);
        using AwdLstm split = AwdLstm.FromWeights(weights, backend);
        using AwdLstm whole = AwdLstm.FromWeights(weights, backend);
        const int batch = 2, first = 5, second = 4;
        int[] tokens = TestModels.Tokens(8, batch * (first + second), Small.VocabSize);
        int[] PartOf(int start, int len) =>
            Enumerable.Range(0, batch).SelectMany(b => tokens.Skip(b * (first + second) + start).Take(len)).ToArray();
        AwdLstmOutput a = split.Forward(PartOf(0, first), batch, first);
        AwdLstmOutput b = split.Forward(PartOf(first, second), batch, second);
        AwdLstmOutput all = whole.Forward(tokens, batch, first + second);
        for (int r = 0; r < batch; r++)
            for (int t = 0; t < first + second; t++)
            {
                ReadOnlySpan<float> expected = all.LogitsAt(r, t);
                ReadOnlySpan<float> actual = t < first ? a.LogitsAt(r, t) : b.LogitsAt(r, t - first);
                for (int v = 0; v < expected.Length; v++)
                    Assert.True(Math.Abs(expected[v] - actual[v]) <= 1e-5f, $"logits[{r},{t},{v}]: split {actual[v]}, whole {expected[v]}");
            }
    }

    [SkippableTheory]
    [MemberData(nameof(Backends))]
    public void Forward_BatchGrowsThenShrinks_AppendsZeroRowsAndKeepsFirstRows(CpuBlas blas)
    {
        AwdLstmWeights weights = TestModels.Create(Small, seed: 9);
        using CpuBackend backend = Backend(blas);
        using AwdLstm model = AwdLstm.FromWeights(weights, backend);
        var naive = new NaiveAwdLstm(weights);
        foreach ((int batch, int seq, int seed) in new[] { (2, 3, 10), (5, 2, 11), (3, 4, 12), (1, 1, 13) })
        {
            int[] tokens = TestModels.Tokens(seed, batch * seq, Small.VocabSize);
            AssertMatches(naive, model.Forward(tokens, batch, seq), naive.Encode(tokens, batch, seq), $"batch {batch}");
            Assert.Equal(batch, model.BatchSize);
        }

        // The appended rows start from zero state: row 4 of a grown batch equals a fresh model's first row.
        using AwdLstm fresh = AwdLstm.FromWeights(weights, backend);
        model.Reset();
        model.Forward(TestModels.Tokens(14, 2, Small.VocabSize), 1, 2);
        int[] grown = TestModels.Tokens(15, 3 * 2, Small.VocabSize);
        AwdLstmOutput g = model.Forward(grown, 3, 2);
        AwdLstmOutput f = fresh.Forward(grown.AsSpan(2 * 2, 2).ToArray(), 1, 2);
        float[] expected = f.LogitsAt(0, 1).ToArray(), actual = g.LogitsAt(2, 1).ToArray();
        for (int v = 0; v < expected.Length; v++)
            Assert.True(Math.Abs(expected[v] - actual[v]) <= 1e-5f, $"logit {v}: grown batch {actual[v]}, fresh model {expected[v]}");
    }

    [SkippableTheory]
    [MemberData(nameof(Backends))]
    public void Reset_AfterCalls_BehavesLikeAFreshModel(CpuBlas blas)
    {
        AwdLstmWeights weights = TestModels.Create(Small, seed: 16);
        using CpuBackend backend = Backend(blas);
        using AwdLstm model = AwdLstm.FromWeights(weights, backend);
        using AwdLstm fresh = AwdLstm.FromWeights(weights, backend);
        int[] tokens = TestModels.Tokens(17, 2 * 5, Small.VocabSize);
        float[] expected = fresh.Forward(tokens, 2, 5).Logits;
        float[] stateful = model.Forward(tokens, 2, 5).Logits;
        float[] continued = model.Forward(tokens, 2, 5).Logits;
        Assert.NotEqual(stateful, continued);
        model.Reset();
        Assert.Equal(0, model.BatchSize);
        Assert.Equal(expected, model.Forward(tokens, 2, 5).Logits);
    }

    [SkippableFact]
    public void Forward_OpenBlasAndManaged_AgreeWithinTolerance()
    {
        Skip.IfNot(CpuBackend.IsOpenBlasAvailable, "OpenBLAS is not installed");
        var config = new AwdLstmConfig(VocabSize: 211, EmbSize: 48, HiddenSize: 72, Layers: 3);
        AwdLstmWeights weights = TestModels.Create(config, seed: 18);
        using CpuBackend managed = CpuBackend.Create(CpuBlas.Managed), openBlas = CpuBackend.Create(CpuBlas.OpenBlas);
        using AwdLstm m1 = AwdLstm.FromWeights(weights, managed), m2 = AwdLstm.FromWeights(weights, openBlas);
        int[] tokens = TestModels.Tokens(19, 6 * 11, config.VocabSize);
        float[] a = m1.Forward(tokens, 6, 11).Logits, b = m2.Forward(tokens, 6, 11).Logits;
        for (int i = 0; i < a.Length; i++) Assert.True(Math.Abs(a[i] - b[i]) <= 2e-5f * (1 + Math.Abs(a[i])), $"logit {i}: managed {a[i]}, OpenBLAS {b[i]}");
    }

    [Fact]
    public void Forward_TokenOutsideVocabulary_Throws()
    {
        using CpuBackend backend = CpuBackend.Create(CpuBlas.Managed);
        using AwdLstm model = AwdLstm.FromWeights(TestModels.Create(Small, seed: 20), backend);
        Assert.Throws<ArgumentOutOfRangeException>(() => model.Forward([1, Small.VocabSize], 1, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => model.Forward([-1], 1, 1));
        Assert.Throws<ArgumentException>(() => model.Forward([1, 2, 3], 2, 2));
    }

    [Fact]
    public void FromWeights_WrongWeightLength_ThrowsArgumentException()
    {
        AwdLstmWeights good = TestModels.Create(Small, seed: 21);
        AwdLstmWeights bad = good with { Embedding = good.Embedding[..^1] };
        using CpuBackend backend = CpuBackend.Create(CpuBlas.Managed);
        var e = Assert.Throws<ArgumentException>(() => AwdLstm.FromWeights(bad, backend));
        Assert.Contains("embedding", e.Message);
    }

    [Fact]
    public void Forward_ArrayOverload_EqualsSpanOverload()
    {
        AwdLstmWeights weights = TestModels.Create(Small, seed: 22);
        using CpuBackend backend = CpuBackend.Create(CpuBlas.Managed);
        using AwdLstm m1 = AwdLstm.FromWeights(weights, backend), m2 = AwdLstm.FromWeights(weights, backend);
        int[] flat = TestModels.Tokens(23, 2 * 3, Small.VocabSize);
        var grid = new int[2, 3];
        for (int i = 0; i < 6; i++) grid[i / 3, i % 3] = flat[i];
        Assert.Equal(m1.Forward(flat, 2, 3).Logits, m2.Forward(grid).Logits);
    }

    [Fact]
    public void Forward_AfterDisposingOutput_ReusesArraysAndStaysCorrect()
    {
        AwdLstmWeights weights = TestModels.Create(Small, seed: 24);
        using CpuBackend backend = CpuBackend.Create(CpuBlas.Managed);
        using AwdLstm model = AwdLstm.FromWeights(weights, backend);
        var naive = new NaiveAwdLstm(weights);
        int[] first = TestModels.Tokens(25, 2 * 3, Small.VocabSize), second = TestModels.Tokens(26, 2 * 3, Small.VocabSize);
        AwdLstmOutput a = model.Forward(first, 2, 3);
        AssertMatches(naive, a, naive.Encode(first, 2, 3), "first call");
        float[] logits = a.Logits;
        a.Dispose();
        using AwdLstmOutput b = model.Forward(second, 2, 3);
        Assert.Same(logits, b.Logits);
        AssertMatches(naive, b, naive.Encode(second, 2, 3), "call into recycled arrays");
        using AwdLstmOutput c = model.Forward(second.AsSpan(0, 3), 1, 3);
        Assert.NotSame(logits, c.Logits);
    }
}
