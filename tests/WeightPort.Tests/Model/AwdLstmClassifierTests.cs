using WeightPort.Compute.Cpu;
using WeightPort.Fastai;
using WeightPort.Model;
using Xunit;

namespace WeightPort.Tests.Model;

/// <summary>The classifier (encoder chunks, concat pooling, head) against <see cref="NaiveAwdLstm"/>.</summary>
public sealed class AwdLstmClassifierTests
{
    private static readonly AwdLstmConfig Config = new(VocabSize: 41, EmbSize: 10, HiddenSize: 16, Layers: 2);

    /// <summary>
    /// Rows sorted by decreasing length, padded as fastai's <c>pad_chunk</c>: (pad // bptt)·bptt pads first, the rest at the end.
    /// </summary>
    private static int[] PaddedBatch(int[] lengths, int seq, int bptt, int seed)
    {
        var random = new Random(seed);
        var tokens = new int[lengths.Length * seq];
        for (int b = 0; b < lengths.Length; b++)
        {
            int padding = seq - lengths[b], front = padding / bptt * bptt;
            for (int t = 0; t < seq; t++)
            {
                bool pad = t < front || t >= front + lengths[b];
                tokens[b * seq + t] = pad ? Config.PadToken : random.Next(2, Config.VocabSize);
            }
        }
        return tokens;
    }

    private static void AssertClose(double[][] expected, float[] actual, int classes)
    {
        for (int b = 0; b < expected.Length; b++)
            for (int k = 0; k < classes; k++)
                Assert.True(Math.Abs(actual[b * classes + k] - expected[b][k]) <= 1e-4 * (1 + Math.Abs(expected[b][k])),
                    $"class logit [{b},{k}] = {actual[b * classes + k]}, {expected[b][k]} expected");
    }

    [Theory]
    [InlineData(CpuBlas.Managed, 14, 12, new[] { 14, 13, 10, 6, 2 })]
    [InlineData(CpuBlas.Auto, 14, 12, new[] { 14, 13, 10, 6, 2 })]
    [InlineData(CpuBlas.Managed, 16, int.MaxValue, new[] { 16, 13, 9, 6, 2 })]
    [InlineData(CpuBlas.Managed, 7, 8, new[] { 7, 5, 3 })]
    public void Classify_V2WithFrontPadding_MatchesDoubleReference(CpuBlas blas, int seq, int maxLen, int[] lengths)
    {
        AwdLstmWeights weights = TestModels.Create(Config, seed: 30, head: [7, 3]);
        using CpuBackend backend = CpuBackend.Create(blas);
        const int bptt = 4;
        using AwdLstmClassifier classifier = AwdLstmClassifier.FromWeights(weights, backend, ClassifierPooling.FastaiV2, bptt, maxLen);
        int[] tokens = PaddedBatch(lengths, seq, bptt, seed: 31);
        float[] actual = classifier.Classify(tokens, lengths.Length, seq);
        double[][] expected = new NaiveAwdLstm(weights).ClassifyV2(tokens, lengths.Length, seq, bptt, maxLen);
        Assert.Equal(3, classifier.ClassCount);
        AssertClose(expected, actual, 3);
    }

    [Fact]
    public void Classify_V1WithBiasedHead_MatchesDoubleReference()
    {
        AwdLstmWeights weights = TestModels.Create(Config, seed: 32, head: [6, 4], headBias: true);
        using CpuBackend backend = CpuBackend.Create(CpuBlas.Managed);
        const int bptt = 5, seq = 13;
        using AwdLstmClassifier classifier = AwdLstmClassifier.FromWeights(weights, backend, ClassifierPooling.FastaiV1, bptt, maxLen: 9);
        var random = new Random(33);
        int[] lengths = [13, 10, 4];
        var tokens = new int[3 * seq];
        for (int b = 0; b < 3; b++)
            for (int t = 0; t < seq; t++)
                tokens[b * seq + t] = t < seq - lengths[b] ? Config.PadToken : random.Next(2, Config.VocabSize);
        AssertClose(new NaiveAwdLstm(weights).ClassifyV1(tokens, 3, seq, bptt, maxLen: 9), classifier.Classify(tokens, 3, seq), 4);
    }

    [Fact]
    public void Classify_SameInputTwice_GivesSameLogitsBecauseItResets()
    {
        AwdLstmWeights weights = TestModels.Create(Config, seed: 34, head: [5, 2]);
        using CpuBackend backend = CpuBackend.Create(CpuBlas.Managed);
        using AwdLstmClassifier classifier = AwdLstmClassifier.FromWeights(weights, backend);
        var tokens = new int[2, 9];
        for (int b = 0; b < 2; b++)
            for (int t = 0; t < 9; t++) tokens[b, t] = 2 + (b * 9 + t) % 30;
        float[,] first = classifier.Classify(tokens);
        Assert.Equal(first, classifier.Classify(tokens));
        Assert.Equal(72, classifier.Bptt);
        Assert.Equal(72 * 20, classifier.MaxLen);
    }

    [Fact]
    public void FromWeights_LanguageModelWeights_ThrowsArgumentException()
    {
        using CpuBackend backend = CpuBackend.Create(CpuBlas.Managed);
        Assert.Throws<ArgumentException>(() => AwdLstmClassifier.FromWeights(TestModels.Create(Config, seed: 35), backend));
    }
}
