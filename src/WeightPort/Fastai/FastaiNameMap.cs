using System.Globalization;

namespace WeightPort.Fastai;

/// <summary>
/// The name map as data (docs/name-map.md): one target table (role → canonical name or drop reason) and one alias table
/// per source layout (role ← source name), expanded once per layer count and head structure into a dictionary.
/// A name that is not in the expansion is an error that lists itself; nothing is renamed by string replacement.
/// </summary>
public static class FastaiNameMap
{
    // Target names: the fields of the C# AWD-LSTM module (COMMON.md). A null target means the role is dropped, for the
    // stated reason, after the check in RedundancyValidator.
    // (A switch rather than a dictionary keyed by the enum: enum-keyed dictionaries are JIT-compiled at every start.)
    private static (string? Target, string? DropReason) Targets(FastaiRole role) => role switch
    {
        FastaiRole.Embedding => ("encoder.weight", null),
        FastaiRole.EmbeddingCopy => (null, "EmbeddingDropout alias of encoder.weight (the same nn.Embedding); stored once"),
        FastaiRole.WeightIh => ("rnns.{layer}.weight_ih_l0", null),
        FastaiRole.WeightHh => ("rnns.{layer}.weight_hh_l0", null),
        FastaiRole.WeightHhCopy => (null, "WeightDropout's derived copy of weight_hh_l0_raw; the raw matrix is used"),
        FastaiRole.BiasIh => ("rnns.{layer}.bias_ih_l0", null),
        FastaiRole.BiasHh => ("rnns.{layer}.bias_hh_l0", null),
        FastaiRole.WeightIhReverse => ("rnns.{layer}.weight_ih_l0_reverse", null),
        FastaiRole.WeightHhReverse => ("rnns.{layer}.weight_hh_l0_reverse", null),
        FastaiRole.BiasIhReverse => ("rnns.{layer}.bias_ih_l0_reverse", null),
        FastaiRole.BiasHhReverse => ("rnns.{layer}.bias_hh_l0_reverse", null),
        FastaiRole.DecoderWeight => ("decoder.weight", null),
        FastaiRole.DecoderBias => ("decoder.bias", null),
        FastaiRole.HeadBnWeight => ("head.{block}.bn.weight", null),
        FastaiRole.HeadBnBias => ("head.{block}.bn.bias", null),
        FastaiRole.HeadBnRunningMean => ("head.{block}.bn.running_mean", null),
        FastaiRole.HeadBnRunningVar => ("head.{block}.bn.running_var", null),
        FastaiRole.HeadBnNumBatchesTracked => ("head.{block}.bn.num_batches_tracked", null),
        FastaiRole.HeadLinearWeight => ("head.{block}.linear.weight", null),
        FastaiRole.HeadLinearBias => ("head.{block}.linear.bias", null),
        _ => throw new ArgumentOutOfRangeException(nameof(role), role, "unknown role"),
    };

    /// <summary>Canonical order of the roles inside one layer (TorchSharp's LSTM order: weights, biases, then reverse).</summary>
    internal static readonly FastaiRole[] LayerRoles =
    [
        FastaiRole.WeightIh, FastaiRole.WeightHh, FastaiRole.BiasIh, FastaiRole.BiasHh,
        FastaiRole.WeightIhReverse, FastaiRole.WeightHhReverse, FastaiRole.BiasIhReverse, FastaiRole.BiasHhReverse,
    ];

    /// <summary>Canonical order of the roles inside one head block.</summary>
    internal static readonly FastaiRole[] HeadRoles =
    [
        FastaiRole.HeadBnWeight, FastaiRole.HeadBnBias, FastaiRole.HeadBnRunningMean, FastaiRole.HeadBnRunningVar,
        FastaiRole.HeadBnNumBatchesTracked, FastaiRole.HeadLinearWeight, FastaiRole.HeadLinearBias,
    ];

    // ---- Alias tables, one per source family. {p} is the encoder prefix of the layout ("0.", "0.module." or "").

    // fastai ≥ 2.0 AWD_LSTM (awdlstm.py L33–72, L95–160): WeightDropout deletes module.weight_hh_l0 and keeps only the
    // wrapper's weight_hh_l0_raw. fastai2 pre-releases before 030d19c9 (2020-04-13) still saved the v1-style derived copy,
    // which v2's own clean_raw_keys drops, so it is tolerated here (and checked like v1's).
    private static readonly AliasEntry[] EncoderV2 =
    [
        new("{p}encoder.weight", FastaiRole.Embedding),
        new("{p}encoder_dp.emb.weight", FastaiRole.EmbeddingCopy, AliasPresence.Optional),
        new("{p}rnns.{layer}.weight_hh_l0_raw", FastaiRole.WeightHh),
        new("{p}rnns.{layer}.module.weight_ih_l0", FastaiRole.WeightIh),
        new("{p}rnns.{layer}.module.weight_hh_l0", FastaiRole.WeightHhCopy, AliasPresence.Optional),
        new("{p}rnns.{layer}.module.bias_ih_l0", FastaiRole.BiasIh),
        new("{p}rnns.{layer}.module.bias_hh_l0", FastaiRole.BiasHh),
        new("{p}rnns.{layer}.module.weight_ih_l0_reverse", FastaiRole.WeightIhReverse),
        new("{p}rnns.{layer}.module.weight_hh_l0_reverse", FastaiRole.WeightHhReverse),
        new("{p}rnns.{layer}.module.bias_ih_l0_reverse", FastaiRole.BiasIhReverse),
        new("{p}rnns.{layer}.module.bias_hh_l0_reverse", FastaiRole.BiasHhReverse),
    ];

    // fastai 1.x AWD_LSTM (awd_lstm.py L27–62): WeightDropout registers weight_hh_l0_raw on the wrapper and assigns
    // module._parameters['weight_hh_l0'], so both are always saved.
    private static readonly AliasEntry[] EncoderV1 =
    [
        new("{p}encoder.weight", FastaiRole.Embedding),
        new("{p}encoder_dp.emb.weight", FastaiRole.EmbeddingCopy, AliasPresence.Optional),
        new("{p}rnns.{layer}.weight_hh_l0_raw", FastaiRole.WeightHh),
        new("{p}rnns.{layer}.module.weight_ih_l0", FastaiRole.WeightIh),
        new("{p}rnns.{layer}.module.weight_hh_l0", FastaiRole.WeightHhCopy),
        new("{p}rnns.{layer}.module.bias_ih_l0", FastaiRole.BiasIh),
        new("{p}rnns.{layer}.module.bias_hh_l0", FastaiRole.BiasHh),
        new("{p}rnns.{layer}.module.weight_ih_l0_reverse", FastaiRole.WeightIhReverse),
        new("{p}rnns.{layer}.module.weight_hh_l0_reverse", FastaiRole.WeightHhReverse),
        new("{p}rnns.{layer}.module.bias_ih_l0_reverse", FastaiRole.BiasIhReverse),
        new("{p}rnns.{layer}.module.bias_hh_l0_reverse", FastaiRole.BiasHhReverse),
    ];

    // fastai 0.7 RNN_Encoder (old/fastai/lm_rnn.py, rnn_reg.py L79–111): WeightDrop registers weight_hh_l0_raw on the
    // LSTM itself; newer PyTorch also registers the dropped-out module.weight_hh_l0.
    private static readonly AliasEntry[] EncoderV07 =
    [
        new("{p}encoder.weight", FastaiRole.Embedding),
        new("{p}encoder_with_dropout.embed.weight", FastaiRole.EmbeddingCopy, AliasPresence.Optional),
        new("{p}rnns.{layer}.module.weight_hh_l0_raw", FastaiRole.WeightHh),
        new("{p}rnns.{layer}.module.weight_ih_l0", FastaiRole.WeightIh),
        new("{p}rnns.{layer}.module.weight_hh_l0", FastaiRole.WeightHhCopy, AliasPresence.Optional),
        new("{p}rnns.{layer}.module.bias_ih_l0", FastaiRole.BiasIh),
        new("{p}rnns.{layer}.module.bias_hh_l0", FastaiRole.BiasHh),
        new("{p}rnns.{layer}.module.weight_ih_l0_reverse", FastaiRole.WeightIhReverse),
        new("{p}rnns.{layer}.module.weight_hh_l0_reverse", FastaiRole.WeightHhReverse),
        new("{p}rnns.{layer}.module.bias_ih_l0_reverse", FastaiRole.BiasIhReverse),
        new("{p}rnns.{layer}.module.bias_hh_l0_reverse", FastaiRole.BiasHhReverse),
    ];

    // WeightPort's own output names: identity.
    private static readonly AliasEntry[] EncoderCanonical =
    [
        new("encoder.weight", FastaiRole.Embedding),
        new("rnns.{layer}.weight_ih_l0", FastaiRole.WeightIh),
        new("rnns.{layer}.weight_hh_l0", FastaiRole.WeightHh),
        new("rnns.{layer}.bias_ih_l0", FastaiRole.BiasIh),
        new("rnns.{layer}.bias_hh_l0", FastaiRole.BiasHh),
        new("rnns.{layer}.weight_ih_l0_reverse", FastaiRole.WeightIhReverse),
        new("rnns.{layer}.weight_hh_l0_reverse", FastaiRole.WeightHhReverse),
        new("rnns.{layer}.bias_ih_l0_reverse", FastaiRole.BiasIhReverse),
        new("rnns.{layer}.bias_hh_l0_reverse", FastaiRole.BiasHhReverse),
    ];

    // LinearDecoder (v2 core.py L27–46, v1 awd_lstm.py): bias optional (out_bias=False; v0.7 has none by default).
    private static readonly AliasEntry[] DecoderSequential =
    [
        new("1.decoder.weight", FastaiRole.DecoderWeight),
        new("1.decoder.bias", FastaiRole.DecoderBias, AliasPresence.Optional),
    ];

    private static readonly AliasEntry[] DecoderCanonical =
    [
        new("decoder.weight", FastaiRole.DecoderWeight, AliasPresence.Optional),
        new("decoder.bias", FastaiRole.DecoderBias, AliasPresence.Optional),
    ];

    // v2 PoolingLinearClassifier of LinBnDrop (layers.py L177–185): BatchNorm at 0, Dropout at 1 only if p ≠ 0,
    // Linear(bias=False) at {lin} = 1 or 2. num_batches_tracked exists since PyTorch 0.4.1.
    private static readonly AliasEntry[] HeadV2 =
    [
        new("1.layers.{block}.{bn}.weight", FastaiRole.HeadBnWeight),
        new("1.layers.{block}.{bn}.bias", FastaiRole.HeadBnBias),
        new("1.layers.{block}.{bn}.running_mean", FastaiRole.HeadBnRunningMean),
        new("1.layers.{block}.{bn}.running_var", FastaiRole.HeadBnRunningVar),
        new("1.layers.{block}.{bn}.num_batches_tracked", FastaiRole.HeadBnNumBatchesTracked, AliasPresence.Optional),
        new("1.layers.{block}.{lin}.weight", FastaiRole.HeadLinearWeight),
    ];

    // v1 PoolingLinearClassifier: one flat Sequential of bn_drop_lin blocks (layers.py L44–50), Linear with bias.
    private static readonly AliasEntry[] HeadV1 =
    [
        new("1.layers.{bn}.weight", FastaiRole.HeadBnWeight),
        new("1.layers.{bn}.bias", FastaiRole.HeadBnBias),
        new("1.layers.{bn}.running_mean", FastaiRole.HeadBnRunningMean),
        new("1.layers.{bn}.running_var", FastaiRole.HeadBnRunningVar),
        new("1.layers.{bn}.num_batches_tracked", FastaiRole.HeadBnNumBatchesTracked, AliasPresence.Optional),
        new("1.layers.{lin}.weight", FastaiRole.HeadLinearWeight),
        new("1.layers.{lin}.bias", FastaiRole.HeadLinearBias),
    ];

    // v0.7 PoolingLinearClassifier: ModuleList of LinearBlock(lin, drop, bn) (old/fastai/lm_rnn.py).
    private static readonly AliasEntry[] HeadV07 =
    [
        new("1.layers.{block}.bn.weight", FastaiRole.HeadBnWeight),
        new("1.layers.{block}.bn.bias", FastaiRole.HeadBnBias),
        new("1.layers.{block}.bn.running_mean", FastaiRole.HeadBnRunningMean),
        new("1.layers.{block}.bn.running_var", FastaiRole.HeadBnRunningVar),
        new("1.layers.{block}.bn.num_batches_tracked", FastaiRole.HeadBnNumBatchesTracked, AliasPresence.Optional),
        new("1.layers.{block}.lin.weight", FastaiRole.HeadLinearWeight),
        new("1.layers.{block}.lin.bias", FastaiRole.HeadLinearBias),
    ];

    private static readonly AliasEntry[] HeadCanonical =
    [
        new("head.{block}.bn.weight", FastaiRole.HeadBnWeight),
        new("head.{block}.bn.bias", FastaiRole.HeadBnBias),
        new("head.{block}.bn.running_mean", FastaiRole.HeadBnRunningMean),
        new("head.{block}.bn.running_var", FastaiRole.HeadBnRunningVar),
        new("head.{block}.bn.num_batches_tracked", FastaiRole.HeadBnNumBatchesTracked, AliasPresence.Optional),
        new("head.{block}.linear.weight", FastaiRole.HeadLinearWeight),
        new("head.{block}.linear.bias", FastaiRole.HeadLinearBias, AliasPresence.Optional),
    ];

    /// <summary>Every layout, as the composition of its tables.</summary>
    internal static readonly LayoutDescriptor[] Layouts =
    [
        new(FastaiLayout.Canonical, "", EncoderCanonical, DecoderCanonical, HeadCanonical, HeadStyle.Named),
        new(FastaiLayout.LanguageModelV07, "0.", EncoderV07, DecoderSequential, [], HeadStyle.None),
        new(FastaiLayout.LanguageModelV1, "0.", EncoderV1, DecoderSequential, [], HeadStyle.None),
        new(FastaiLayout.LanguageModelV2, "0.", EncoderV2, DecoderSequential, [], HeadStyle.None),
        new(FastaiLayout.EncoderV07, "", EncoderV07, [], [], HeadStyle.None),
        new(FastaiLayout.EncoderV1, "", EncoderV1, [], [], HeadStyle.None),
        new(FastaiLayout.EncoderV2, "", EncoderV2, [], [], HeadStyle.None),
        new(FastaiLayout.ClassifierV07, "0.", EncoderV07, [], HeadV07, HeadStyle.Named),
        new(FastaiLayout.ClassifierV1, "0.module.", EncoderV1, [], HeadV1, HeadStyle.Flat),
        new(FastaiLayout.ClassifierV2, "0.module.", EncoderV2, [], HeadV2, HeadStyle.Nested),
    ];

    /// <summary>The descriptor of <paramref name="layout"/>.</summary>
    internal static LayoutDescriptor Descriptor(FastaiLayout layout) =>
        Array.Find(Layouts, d => d.Layout == layout) ?? throw new ArgumentOutOfRangeException(nameof(layout), layout, "no descriptor");

    /// <summary>The canonical target name template of <paramref name="role"/> (with <c>{layer}</c>/<c>{block}</c>), or null when the role is always dropped.</summary>
    public static string? TargetTemplate(FastaiRole role) => Targets(role).Target;

    /// <summary>Why <paramref name="role"/> is dropped, or null when it is written.</summary>
    public static string? DropReason(FastaiRole role) => Targets(role).DropReason;

    /// <summary>The canonical name of <paramref name="role"/> for layer or head block <paramref name="index"/>.</summary>
    /// <exception cref="ArgumentException">The role is always dropped.</exception>
    public static string TargetName(FastaiRole role, int index) =>
        Fill(TargetTemplate(role) ?? throw new ArgumentException($"role {role} has no target name: {DropReason(role)}", nameof(role)),
            "", index, index, -1, -1);

    /// <summary>True for the per-layer roles of the backward direction.</summary>
    internal static bool IsReverse(FastaiRole role) =>
        role is FastaiRole.WeightIhReverse or FastaiRole.WeightHhReverse or FastaiRole.BiasIhReverse or FastaiRole.BiasHhReverse;

    /// <summary>True for the per-layer LSTM roles.</summary>
    internal static bool IsLayerRole(FastaiRole role) => Array.IndexOf(LayerRoles, role) >= 0 || role == FastaiRole.WeightHhCopy;

    /// <summary>True for the head block roles.</summary>
    internal static bool IsHeadRole(FastaiRole role) => Array.IndexOf(HeadRoles, role) >= 0;

    /// <summary>
    /// Expands <paramref name="layout"/>'s tables for <paramref name="layers"/> layers, one or two directions and the
    /// given head blocks into source name → role. Fails on a collision, which would be a table bug.
    /// </summary>
    internal static Dictionary<string, MappedName> Expand(LayoutDescriptor layout, int layers, bool bidirectional, IReadOnlyList<HeadBlockIndex> head)
    {
        var map = new Dictionary<string, MappedName>(StringComparer.Ordinal);
        void Add(string name, MappedName m)
        {
            if (!map.TryAdd(name, m)) throw new InvalidOperationException($"name map collision on '{name}' in layout {layout.Layout}");
        }
        foreach (var e in layout.Encoder)
        {
            if (IsLayerRole(e.Role))
            {
                if (IsReverse(e.Role) && !bidirectional) continue;
                for (int l = 0; l < layers; l++) Add(Fill(e.Template, layout.EncoderPrefix, l, -1, -1, -1), new(e.Role, l, e.Presence));
            }
            else
            {
                Add(Fill(e.Template, layout.EncoderPrefix, -1, -1, -1, -1), new(e.Role, 0, e.Presence));
            }
        }
        foreach (var e in layout.Decoder) Add(Fill(e.Template, layout.EncoderPrefix, -1, -1, -1, -1), new(e.Role, 0, e.Presence));
        foreach (var b in head)
        {
            foreach (var e in layout.Head)
                Add(Fill(e.Template, layout.EncoderPrefix, -1, b.Block, b.BnIndex, b.LinearIndex), new(e.Role, b.Block, e.Presence));
        }
        // Not frozen: the map serves one checkpoint's few dozen lookups, and freezing it (choosing a hash strategy, plus
        // JIT-compiling the frozen collection's code for this value type) took longer than all of them.
        return map;
    }

    private static string Fill(string template, string prefix, int layer, int block, int bn, int lin)
    {
        string s = template.Replace("{p}", prefix, StringComparison.Ordinal);
        if (layer >= 0) s = s.Replace("{layer}", layer.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);
        if (block >= 0) s = s.Replace("{block}", block.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);
        if (bn >= 0) s = s.Replace("{bn}", bn.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);
        if (lin >= 0) s = s.Replace("{lin}", lin.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);
        return s;
    }
}
