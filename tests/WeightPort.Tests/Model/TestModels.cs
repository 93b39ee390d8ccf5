using WeightPort.Fastai;
using WeightPort.Model;

namespace WeightPort.Tests.Model;

/// <summary>Small AWD-LSTMs with random weights for the forward-pass tests.</summary>
internal static class TestModels
{
    public static AwdLstmWeights Create(AwdLstmConfig config, int seed, bool tied = true, int[]? head = null, bool headBias = false)
    {
        var random = new Random(seed);
        float[] Fill(int n, float scale = 0.5f)
        {
            var a = new float[n];
            for (int i = 0; i < n; i++) a[i] = (random.NextSingle() * 2f - 1f) * scale;
            return a;
        }
        var layers = new List<IReadOnlyList<LstmDirectionWeights>>();
        for (int l = 0; l < config.Layers; l++)
        {
            int input = config.LayerInputSize(l), hidden = config.LayerHiddenSize(l);
            layers.Add(Enumerable.Range(0, config.Directions)
                .Select(_ => new LstmDirectionWeights(Fill(4 * hidden * input), Fill(4 * hidden * hidden), Fill(4 * hidden), Fill(4 * hidden)))
                .ToArray());
        }
        float[] embedding = Fill(config.VocabSize * config.EmbSize, 1f);
        List<ClassifierBlockWeights>? blocks = null;
        if (head is not null)
        {
            blocks = [];
            int width = 3 * config.EmbSize;
            foreach (int outFeatures in head)
            {
                float[] var = Fill(width, 0.5f).Select(v => v + 0.6f).ToArray();
                blocks.Add(new ClassifierBlockWeights(width, outFeatures, Fill(width, 1f), Fill(width, 0.3f), Fill(width, 0.3f), var,
                    Fill(outFeatures * width, 0.4f), headBias ? (ReadOnlyMemory<float>?)Fill(outFeatures, 0.2f) : null));
                width = outFeatures;
            }
            return new AwdLstmWeights(config, embedding, layers, null, null, false, blocks);
        }
        return new AwdLstmWeights(config, embedding, layers, tied ? null : (ReadOnlyMemory<float>?)Fill(config.VocabSize * config.EmbSize), Fill(config.VocabSize), true, null);
    }

    public static int[] Tokens(int seed, int count, int vocab, int minId = 0)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => random.Next(minId, vocab)).ToArray();
    }
}
