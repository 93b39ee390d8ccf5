using WeightPort.Fastai;
using WeightPort.Model;

namespace WeightPort.Bench;

/// <summary>An AWD-LSTM with uniform random weights (timing does not depend on the values).</summary>
internal static class RandomModel
{
    /// <summary>fastai's <c>awd_lstm_lm_config</c> with the WT103 vocabulary.</summary>
    public static AwdLstmConfig Wt103 { get; } = new(60000, 400, 1152, 3);

    public static AwdLstmWeights Create(AwdLstmConfig config, int seed = 1)
    {
        var random = new Random(seed);
        float[] Fill(long n, float scale)
        {
            var a = GC.AllocateUninitializedArray<float>(checked((int)n));
            for (int i = 0; i < a.Length; i++) a[i] = (random.NextSingle() * 2f - 1f) * scale;
            return a;
        }
        var layers = new List<IReadOnlyList<LstmDirectionWeights>>();
        for (int l = 0; l < config.Layers; l++)
        {
            int input = config.LayerInputSize(l), hidden = config.LayerHiddenSize(l);
            float scale = 1f / MathF.Sqrt(hidden);
            var dirs = new List<LstmDirectionWeights>();
            for (int d = 0; d < config.Directions; d++)
                dirs.Add(new LstmDirectionWeights(Fill(4L * hidden * input, scale), Fill(4L * hidden * hidden, scale), Fill(4 * hidden, scale), Fill(4 * hidden, scale)));
            layers.Add(dirs);
        }
        return new AwdLstmWeights(config, Fill((long)config.VocabSize * config.EmbSize, 0.1f), layers, null, Fill(config.VocabSize, 0.1f), true, null);
    }
}
