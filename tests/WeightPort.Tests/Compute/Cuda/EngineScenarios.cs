using WeightPort.Fastai;
using WeightPort.Model;
using Xunit;

namespace WeightPort.Tests.Compute.Cuda;

/// <summary>
/// Checks shared by the GPU tests and the simulated-device tests: the same engine schedule, two executors, one
/// double-precision oracle (<see cref="ReferenceAwdLstm"/>). Tolerance: |actual − expected| ≤ 1e-5 + 1e-4·|expected|.
/// </summary>
internal static class EngineScenarios
{
    public const double RelativeTolerance = 1e-4;
    public const double AbsoluteTolerance = 1e-5;

    /// <summary>One Encode then Decode of its output, against the oracle.</summary>
    public static void ForwardMatchesReference(Func<AwdLstmWeights, LanguageModelEngine> create, AwdLstmWeights weights, int batch, int seq)
    {
        using LanguageModelEngine engine = create(weights);
        var reference = new ReferenceAwdLstm(weights);
        AwdLstmConfig config = weights.Config;
        int[] tokens = TestModels.RandomTokens(batch * seq, config.VocabSize, seed: 11);

        var output = new float[batch * seq * config.EmbSize];
        engine.Encode(tokens, batch, seq, output);
        AssertClose(reference.Encode(tokens, batch, seq), output, "encoder output");
        Assert.Equal(batch, engine.BatchSize);

        if (!weights.HasDecoder) return;
        var logits = new float[batch * seq * config.VocabSize];
        engine.Decode(output, batch * seq, logits);
        AssertClose(reference.Decode(output, batch * seq), logits, "logits");
    }

    /// <summary>
    /// Several calls in a row: the state carries over, the batch grows (zero rows appended) and shrinks (first rows
    /// kept), and Reset zeroes it, exactly as fastai v2.
    /// </summary>
    public static void StatefulCallsMatchReference(Func<AwdLstmWeights, LanguageModelEngine> create, AwdLstmWeights weights)
    {
        using LanguageModelEngine engine = create(weights);
        var reference = new ReferenceAwdLstm(weights);
        int emb = weights.Config.EmbSize;
        (int Batch, int Seq, bool ResetFirst)[] calls = [(2, 4, false), (2, 3, false), (4, 2, false), (1, 3, false), (3, 2, true), (3, 1, false)];
        int seed = 100;
        foreach ((int batch, int seq, bool resetFirst) in calls)
        {
            if (resetFirst)
            {
                engine.Reset();
                reference.Reset();
                Assert.Equal(0, engine.BatchSize);
            }
            int[] tokens = TestModels.RandomTokens(batch * seq, weights.Config.VocabSize, seed++);
            var output = new float[batch * seq * emb];
            engine.Encode(tokens, batch, seq, output);
            AssertClose(reference.Encode(tokens, batch, seq), output, $"call (batch {batch}, seq {seq})");
            Assert.Equal(batch, engine.BatchSize);
        }
    }

    /// <summary>A token outside the vocabulary is refused before anything reaches the device.</summary>
    public static void TokenOutsideVocabularyThrows(Func<AwdLstmWeights, LanguageModelEngine> create, AwdLstmWeights weights)
    {
        using LanguageModelEngine engine = create(weights);
        int[] tokens = [0, 1, weights.Config.VocabSize, 2];
        var output = new float[4 * weights.Config.EmbSize];
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => engine.Encode(tokens, 2, 2, output));
        Assert.Contains($"token id {weights.Config.VocabSize} at [1, 0]", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => engine.Encode([-1, 0], 1, 2, new float[2 * weights.Config.EmbSize]));
    }

    public static void AssertClose(double[] expected, ReadOnlySpan<float> actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double worst = 0;
        int worstIndex = -1;
        for (int i = 0; i < expected.Length; i++)
        {
            double excess = Math.Abs(actual[i] - expected[i]) - (AbsoluteTolerance + RelativeTolerance * Math.Abs(expected[i]));
            // NaN (memory never written) fails too.
            if (double.IsNaN(actual[i]) || excess > worst)
            {
                worst = double.IsNaN(actual[i]) ? double.PositiveInfinity : excess;
                worstIndex = i;
            }
        }
        Assert.True(worstIndex < 0, worstIndex < 0 ? "" : $"{what}: element {worstIndex} is {actual[worstIndex]}, expected {expected[worstIndex]} (tolerance {AbsoluteTolerance} + {RelativeTolerance}·|expected|)");
    }
}
