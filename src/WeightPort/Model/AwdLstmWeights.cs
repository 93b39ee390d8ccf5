using WeightPort.Conversion;
using WeightPort.Fastai;

namespace WeightPort.Model;

/// <summary>
/// All parameters of an AWD-LSTM language model or classifier, float32 row-major. The tied decoder is not stored twice:
/// <see cref="DecoderWeight"/> is null when the decoder uses <see cref="Embedding"/>. Every compute engine accepts
/// exactly the weights <see cref="Validate"/> accepts.
/// </summary>
internal sealed record AwdLstmWeights(
    AwdLstmConfig Config,
    ReadOnlyMemory<float> Embedding,
    IReadOnlyList<IReadOnlyList<LstmDirectionWeights>> Layers,
    ReadOnlyMemory<float>? DecoderWeight,
    ReadOnlyMemory<float>? DecoderBias,
    bool HasDecoder,
    IReadOnlyList<ClassifierBlockWeights>? ClassifierHead)
{
    /// <summary>The decoder matrix [vocab, emb]: its own weight when untied, else the embedding.</summary>
    public ReadOnlyMemory<float> EffectiveDecoderWeight => DecoderWeight ?? Embedding;

    /// <summary>
    /// The weights as the plan writes them (casts included), read in place from the memory-mapped file where the file
    /// stores aligned little-endian float32; they stay readable while the plan's checkpoint is open.
    /// </summary>
    /// <exception cref="CheckpointFormatException">The plan is a passthrough (not an AWD-LSTM).</exception>
    public static AwdLstmWeights FromPlan(ConversionPlan plan)
    {
        var config = plan.Config ?? throw new CheckpointFormatException(CheckpointError.InvalidContent, DecisionMessages.NotAnAwdLstm(), plan.SourcePath);
        var byRole = new Dictionary<(FastaiRole, int), PlannedTensor>();
        foreach (var t in plan.Tensors) if (t.Role is { } r) byRole[(r, t.Index)] = t;
        ReadOnlyMemory<float> Get(FastaiRole role, int index = 0) => byRole[(role, index)].ToFloat32Memory();
        ReadOnlyMemory<float>? Maybe(FastaiRole role, int index = 0) =>
            byRole.TryGetValue((role, index), out var t) ? t.ToFloat32Memory() : (ReadOnlyMemory<float>?)null;

        var layers = new List<IReadOnlyList<LstmDirectionWeights>>();
        for (int l = 0; l < config.Model.Layers; l++)
        {
            var directions = new List<LstmDirectionWeights>
            {
                new(Get(FastaiRole.WeightIh, l), Get(FastaiRole.WeightHh, l), Get(FastaiRole.BiasIh, l), Get(FastaiRole.BiasHh, l)),
            };
            if (config.Model.Bidirectional)
                directions.Add(new(Get(FastaiRole.WeightIhReverse, l), Get(FastaiRole.WeightHhReverse, l), Get(FastaiRole.BiasIhReverse, l), Get(FastaiRole.BiasHhReverse, l)));
            layers.Add(directions);
        }

        List<ClassifierBlockWeights>? head = null;
        if (config.IsClassifier)
        {
            head = [];
            for (int b = 0; b < config.HeadSizes.Count - 1; b++)
            {
                head.Add(new ClassifierBlockWeights(config.HeadSizes[b], config.HeadSizes[b + 1],
                    Get(FastaiRole.HeadBnWeight, b), Get(FastaiRole.HeadBnBias, b), Get(FastaiRole.HeadBnRunningMean, b), Get(FastaiRole.HeadBnRunningVar, b),
                    Get(FastaiRole.HeadLinearWeight, b), Maybe(FastaiRole.HeadLinearBias, b)));
            }
        }

        return new AwdLstmWeights(config.Model, Get(FastaiRole.Embedding), layers,
            config.HasDecoder && !config.Tied ? Get(FastaiRole.DecoderWeight) : (ReadOnlyMemory<float>?)null,
            config.DecoderBias ? Get(FastaiRole.DecoderBias) : (ReadOnlyMemory<float>?)null,
            config.HasDecoder, head);
    }

    /// <summary>
    /// The one weights contract: every size positive, every array as long as the configuration needs, the layers
    /// chained (each takes what the previous one produces, the last produces emb), a decoder only with
    /// <see cref="HasDecoder"/>, and a classifier head whose blocks chain from 3 × emb.
    /// </summary>
    /// <exception cref="ArgumentException">The first rule broken, naming the array and both lengths.</exception>
    public void Validate()
    {
        var config = Config;
        void Expect(string what, long actual, long expected)
        {
            if (actual != expected)
                throw new ArgumentException($"{what} has {actual:N0} elements, the config {config} needs {expected:N0}", "weights");
        }

        if (config.VocabSize <= 0 || config.EmbSize <= 0 || config.HiddenSize <= 0 || config.Layers <= 0)
            throw new ArgumentException($"config {config} has a size that is not positive", "weights");
        Expect("the embedding", Embedding.Length, (long)config.VocabSize * config.EmbSize);
        if (!HasDecoder && (DecoderWeight is not null || DecoderBias is not null))
            throw new ArgumentException("a decoder weight or bias is given but HasDecoder is false", "weights");
        // A null float[] converts to an empty but non-null ReadOnlyMemory: say so, since "0 elements" alone puzzles.
        const string NullHint = " (pass null, not an empty or null array, when absent)";
        if (DecoderWeight is { } decoder) Expect("the decoder weight" + (decoder.IsEmpty ? NullHint : ""), decoder.Length, (long)config.VocabSize * config.EmbSize);
        if (DecoderBias is { } bias) Expect("the decoder bias" + (bias.IsEmpty ? NullHint : ""), bias.Length, config.VocabSize);
        if (Layers.Count != config.Layers)
            throw new ArgumentException($"{Layers.Count} layers given, the config {config} has {config.Layers}", "weights");
        for (int l = 0; l < config.Layers; l++)
        {
            int input = config.LayerInputSize(l), hidden = config.LayerHiddenSize(l);
            if (hidden <= 0) throw new ArgumentException($"layer {l} has hidden size {hidden}", "weights");
            // Layer l reads what layer l − 1 wrote: D·hidden(l − 1) columns; fastai's n_hid // n_dir can break that for odd sizes.
            int previousWidth = l == 0 ? config.EmbSize : config.Directions * config.LayerHiddenSize(l - 1);
            if (input != previousWidth)
                throw new ArgumentException($"layer {l} takes {input} inputs but layer {l - 1} produces {previousWidth}", "weights");
            if (Layers[l].Count != config.Directions)
                throw new ArgumentException($"layer {l} has {Layers[l].Count} directions, the config has {config.Directions}", "weights");
            for (int d = 0; d < config.Directions; d++)
            {
                LstmDirectionWeights w = Layers[l][d];
                string name = $"layer {l}{(d == 1 ? " (reverse)" : "")}";
                Expect(name + " weight_ih", w.WeightIh.Length, 4L * hidden * input);
                Expect(name + " weight_hh", w.WeightHh.Length, 4L * hidden * hidden);
                Expect(name + " bias_ih", w.BiasIh.Length, 4L * hidden);
                Expect(name + " bias_hh", w.BiasHh.Length, 4L * hidden);
            }
        }
        int lastWidth = config.Directions * config.LayerHiddenSize(config.Layers - 1);
        if (lastWidth != config.EmbSize)
            throw new ArgumentException($"the last layer produces {lastWidth} features, the config's emb is {config.EmbSize}", "weights");
        if (ClassifierHead is { } head) ValidateHead(head, 3 * config.EmbSize);
    }

    private static void ValidateHead(IReadOnlyList<ClassifierBlockWeights> blocks, int inFeatures)
    {
        if (blocks.Count == 0) throw new ArgumentException("the classifier head has no blocks", "weights");
        void Expect(ReadOnlyMemory<float> m, long n, int block, string what)
        {
            if (m.Length != n) throw new ArgumentException($"head block {block} {what} has {m.Length:N0} floats, {n:N0} expected", "weights");
        }
        int width = inFeatures;
        for (int k = 0; k < blocks.Count; k++)
        {
            var b = blocks[k];
            if (b.InFeatures != width) throw new ArgumentException($"head block {k} takes {b.InFeatures} features but receives {width}", "weights");
            if (b.OutFeatures <= 0) throw new ArgumentException($"head block {k} has {b.OutFeatures} outputs", "weights");
            Expect(b.BnWeight, width, k, "bn.weight");
            Expect(b.BnBias, width, k, "bn.bias");
            Expect(b.RunningMean, width, k, "bn.running_mean");
            Expect(b.RunningVar, width, k, "bn.running_var");
            Expect(b.LinearWeight, (long)width * b.OutFeatures, k, "linear.weight");
            if (b.LinearBias is { } lb) Expect(lb, b.OutFeatures, k, "linear.bias");
            width = b.OutFeatures;
        }
    }
}
