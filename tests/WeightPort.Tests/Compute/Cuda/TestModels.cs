using WeightPort.Fastai;
using WeightPort.Model;

namespace WeightPort.Tests.Compute.Cuda;

/// <summary>Small random AWD-LSTMs with awkward (odd, unequal) sizes, so that a swapped stride cannot go unnoticed.</summary>
internal static class TestModels
{
    /// <summary>3 layers, vocabulary 37, emb 6, hidden 10, tied decoder with bias.</summary>
    public static AwdLstmConfig Unidirectional { get; } = new(VocabSize: 37, EmbSize: 6, HiddenSize: 10, Layers: 3);

    /// <summary>2 layers, bidirectional: per-direction hidden 5 then 3.</summary>
    public static AwdLstmConfig Bidirectional { get; } = new(VocabSize: 29, EmbSize: 6, HiddenSize: 10, Layers: 2, Bidirectional: true);

    public static AwdLstmWeights Random(AwdLstmConfig config, int seed, bool tied = true, bool decoderBias = true, bool hasDecoder = true)
    {
        var random = new Random(seed);
        // Scale 0.5 keeps gates away from saturation so that the recurrence really matters.
        float[] Make(long n, double scale = 0.5) => Enumerable.Range(0, checked((int)n)).Select(_ => (float)((random.NextDouble() * 2 - 1) * scale)).ToArray();

        var layers = new List<IReadOnlyList<LstmDirectionWeights>>();
        for (int l = 0; l < config.Layers; l++)
        {
            int input = config.LayerInputSize(l), hidden = config.LayerHiddenSize(l);
            var directions = new List<LstmDirectionWeights>();
            for (int d = 0; d < config.Directions; d++)
                directions.Add(new LstmDirectionWeights(Make(4L * hidden * input), Make(4L * hidden * hidden), Make(4L * hidden, 0.3), Make(4L * hidden, 0.3)));
            layers.Add(directions);
        }
        float[] embedding = Make((long)config.VocabSize * config.EmbSize, 1.0);
        // Typed as ReadOnlyMemory<float>? on purpose: a null float[] would convert to an empty, non-null memory.
        ReadOnlyMemory<float>? decoder = hasDecoder && !tied ? (ReadOnlyMemory<float>?)Make((long)config.VocabSize * config.EmbSize, 1.0) : null;
        ReadOnlyMemory<float>? bias = hasDecoder && decoderBias ? (ReadOnlyMemory<float>?)Make(config.VocabSize, 0.3) : null;
        return new AwdLstmWeights(config, embedding, layers, decoder, bias, hasDecoder, null);
    }

    public static int[] RandomTokens(int count, int vocab, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => random.Next(vocab)).ToArray();
    }
}
