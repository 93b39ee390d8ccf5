using System.Collections.Frozen;
using System.Globalization;

namespace WeightPort.Fastai;

/// <summary>
/// The names fastai ≥ 2.0 gives each role, for the cleaned <c>.pth</c> output: a file that strict
/// <c>load_state_dict</c> accepts into a fastai-v2 model. Aliases that PyTorch lists because one Parameter is registered
/// twice (<c>encoder_dp.emb.weight</c>, the tied <c>1.decoder.weight</c>) are written as names of the same storage, so
/// they cost no bytes — exactly what <c>torch.save(model.state_dict())</c> of a fastai-v2 model writes.
/// </summary>
public static class FastaiV2Names
{
    // {p} = encoder prefix ("0." LM, "0.module." classifier, "" encoder); {layer}; {block}; {lin} = Linear index in a
    // LinBnDrop block (2, or 1 when the block's dropout p is 0 — fastai/layers.py L177–185).
    private static readonly FrozenDictionary<FastaiRole, string> Names = new Dictionary<FastaiRole, string>
    {
        [FastaiRole.Embedding] = "{p}encoder.weight",
        [FastaiRole.WeightIh] = "{p}rnns.{layer}.module.weight_ih_l0",
        [FastaiRole.WeightHh] = "{p}rnns.{layer}.weight_hh_l0_raw",
        [FastaiRole.BiasIh] = "{p}rnns.{layer}.module.bias_ih_l0",
        [FastaiRole.BiasHh] = "{p}rnns.{layer}.module.bias_hh_l0",
        [FastaiRole.WeightIhReverse] = "{p}rnns.{layer}.module.weight_ih_l0_reverse",
        [FastaiRole.WeightHhReverse] = "{p}rnns.{layer}.module.weight_hh_l0_reverse",
        [FastaiRole.BiasIhReverse] = "{p}rnns.{layer}.module.bias_ih_l0_reverse",
        [FastaiRole.BiasHhReverse] = "{p}rnns.{layer}.module.bias_hh_l0_reverse",
        [FastaiRole.DecoderWeight] = "1.decoder.weight",
        [FastaiRole.DecoderBias] = "1.decoder.bias",
        [FastaiRole.HeadBnWeight] = "1.layers.{block}.0.weight",
        [FastaiRole.HeadBnBias] = "1.layers.{block}.0.bias",
        [FastaiRole.HeadBnRunningMean] = "1.layers.{block}.0.running_mean",
        [FastaiRole.HeadBnRunningVar] = "1.layers.{block}.0.running_var",
        [FastaiRole.HeadBnNumBatchesTracked] = "1.layers.{block}.0.num_batches_tracked",
        [FastaiRole.HeadLinearWeight] = "1.layers.{block}.{lin}.weight",
        [FastaiRole.HeadLinearBias] = "1.layers.{block}.{lin}.bias",
    }.ToFrozenDictionary();

    /// <summary>The EmbeddingDropout alias of the embedding, registered by fastai v2 under the encoder.</summary>
    public const string EmbeddingAlias = "{p}encoder_dp.emb.weight";

    /// <summary>The encoder prefix of a layout family: <c>0.</c> for language models, <c>0.module.</c> for classifiers, empty for encoders.</summary>
    public static string EncoderPrefix(FastaiModelConfig config, bool encoderOnly) =>
        config.IsClassifier ? "0.module." : encoderOnly ? "" : "0.";

    /// <summary>The fastai-v2 name of <paramref name="role"/> at <paramref name="index"/> (layer or head block).</summary>
    public static string Name(FastaiRole role, int index, string prefix, FastaiModelConfig config)
    {
        if (!Names.TryGetValue(role, out var template))
            throw new ArgumentException($"role {role} has no fastai-v2 name (it is dropped)", nameof(role));
        return Expand(template, index, prefix, config);
    }

    /// <summary>Expands the placeholders of <paramref name="template"/>.</summary>
    public static string Expand(string template, int index, string prefix, FastaiModelConfig config)
    {
        string i = index.ToString(CultureInfo.InvariantCulture);
        string lin = template.Contains("{lin}", StringComparison.Ordinal)
            ? (index < config.HeadDropoutFree.Count && config.HeadDropoutFree[index] ? "1" : "2") : "";
        return template.Replace("{p}", prefix, StringComparison.Ordinal).Replace("{layer}", i, StringComparison.Ordinal)
            .Replace("{block}", i, StringComparison.Ordinal).Replace("{lin}", lin, StringComparison.Ordinal);
    }
}
