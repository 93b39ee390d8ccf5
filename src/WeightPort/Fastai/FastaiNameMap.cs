namespace WeightPort.Fastai;

/// <summary>
/// The name map as data (docs/name-map.md): one base table of fastai's encoder names with the differences of each
/// version, the decoder and head tables, and WeightPort's canonical table, composed into one
/// <see cref="LayoutDescriptor"/> per layout. Detection, placement, the canonical target names and the fastai-v2 names
/// of the cleaned <c>.pth</c> are all read from these descriptors; nothing is renamed by string replacement.
/// </summary>
internal static class FastaiNameMap
{
    // fastai ≥ 2.0 AWD_LSTM (awdlstm.py L33–72, L95–160): WeightDropout deletes module.weight_hh_l0 and keeps only the
    // wrapper's weight_hh_l0_raw. fastai2 pre-releases before 030d19c9 (2020-04-13) still saved the v1-style derived
    // copy, which v2's own clean_raw_keys drops, so it is tolerated here (and checked like v1's).
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
    // module._parameters['weight_hh_l0'], so the derived copy is always saved.
    private static readonly AliasEntry[] EncoderV1 = With(EncoderV2,
        new AliasEntry("{p}rnns.{layer}.module.weight_hh_l0", FastaiRole.WeightHhCopy));

    // fastai 0.7 RNN_Encoder (old/fastai/lm_rnn.py, rnn_reg.py L79–111): EmbeddingDropout is `encoder_with_dropout`
    // and WeightDrop registers weight_hh_l0_raw on the LSTM itself; newer PyTorch also saves the dropped-out copy.
    private static readonly AliasEntry[] EncoderV07 = With(EncoderV2,
        new AliasEntry("{p}encoder_with_dropout.embed.weight", FastaiRole.EmbeddingCopy, AliasPresence.Optional),
        new AliasEntry("{p}rnns.{layer}.module.weight_hh_l0_raw", FastaiRole.WeightHh));

    // WeightPort's own output names, the fields of a TorchSharp module with `encoder`, `rnns` and `decoder`; also the
    // target of every other layout. The roles it lacks (the two copies) are always dropped.
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

    // A canonical file stores a tied decoder once, as encoder.weight, so decoder.weight is there only when untied.
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
        // LinBnDrop(bn=False) keeps the Linear's bias, and a fastai v1 head written with v2 names has one.
        new("1.layers.{block}.{lin}.bias", FastaiRole.HeadLinearBias, AliasPresence.Optional),
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

    /// <summary>WeightPort's own names; the target of every conversion.</summary>
    internal static readonly LayoutDescriptor Canonical = new(FastaiLayout.Canonical, "", EncoderCanonical, DecoderCanonical, HeadCanonical, HeadStyle.Named);

    /// <summary>
    /// Every layout, in the order detection tries them: where two fit the same keys, the first is the more specific
    /// (v1 requires the derived copy that v2 only tolerates).
    /// </summary>
    internal static readonly LayoutDescriptor[] Layouts =
    [
        Canonical,
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

    /// <summary>Layouts that are recognised in order to be refused with their reason rather than with a list of keys.</summary>
    internal static readonly LayoutDescriptor[] UnsupportedLayouts =
    [
        // fastai v1 ≤ 1.0.42 wrapped the classifier's encoder in MultiBatchRNNCore without the `module` attribute.
        new(FastaiLayout.ClassifierV1, "0.", EncoderV1, [], HeadV1, HeadStyle.Flat,
            "a classifier with its encoder under '0.' instead of '0.module.' (fastai v1 ≤ 1.0.42, MultiBatchRNNCore) is not supported"),
    ];

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

    /// <summary>The descriptor of <paramref name="layout"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Passthrough, which has no names.</exception>
    internal static LayoutDescriptor Descriptor(FastaiLayout layout) =>
        Array.Find(Layouts, d => d.Layout == layout) ?? throw new ArgumentOutOfRangeException(nameof(layout), layout, "no descriptor");

    /// <summary>The canonical target name template of <paramref name="role"/> (with <c>{layer}</c>/<c>{block}</c>), or null when the role is always dropped.</summary>
    internal static string? TargetTemplate(FastaiRole role) => Canonical.Template(role);

    /// <summary>Why <paramref name="role"/> is dropped, or null when it is written.</summary>
    internal static string? DropReason(FastaiRole role) => role switch
    {
        FastaiRole.EmbeddingCopy => "EmbeddingDropout alias of encoder.weight (the same nn.Embedding); stored once",
        FastaiRole.WeightHhCopy => "WeightDropout's derived copy of weight_hh_l0_raw; the raw matrix is used",
        _ => null,
    };

    /// <summary>The canonical name of <paramref name="role"/> for layer or head block <paramref name="index"/>.</summary>
    /// <exception cref="ArgumentException">The role is always dropped.</exception>
    internal static string TargetName(FastaiRole role, int index) =>
        new NamePlaceholders(Layer: index, Block: index).Fill(
            TargetTemplate(role) ?? throw new ArgumentException($"role {role} has no target name: {DropReason(role)}", nameof(role)));

    /// <summary>
    /// The name fastai ≥ 2.0 gives <paramref name="role"/> at layer or head block <paramref name="index"/> in a model
    /// shaped like <paramref name="config"/>: what a strict <c>load_state_dict</c> into a fastai-v2 model expects.
    /// </summary>
    /// <exception cref="ArgumentException">fastai v2 has no name for the role in such a model.</exception>
    internal static string FastaiV2Name(FastaiRole role, int index, FastaiModelConfig config)
    {
        var d = Descriptor(config.IsClassifier ? FastaiLayout.ClassifierV2 : config.HasDecoder ? FastaiLayout.LanguageModelV2 : FastaiLayout.EncoderV2);
        string template = d.Template(role) ?? throw new ArgumentException($"role {role} has no fastai-v2 name in layout '{d.Layout.Id()}'", nameof(role));
        // A LinBnDrop block has its Dropout at 1 only when p ≠ 0, which moves its Linear from 2 to 1.
        int linear = index < config.HeadDropoutFree.Count && config.HeadDropoutFree[index] ? 1 : 2;
        return new NamePlaceholders(d.EncoderPrefix, index, index, 0, linear).Fill(template);
    }

    /// <summary>True for the per-layer roles of the backward direction.</summary>
    internal static bool IsReverse(FastaiRole role) =>
        role is FastaiRole.WeightIhReverse or FastaiRole.WeightHhReverse or FastaiRole.BiasIhReverse or FastaiRole.BiasHhReverse;

    /// <summary>True for the per-layer LSTM roles.</summary>
    internal static bool IsLayerRole(FastaiRole role) => Array.IndexOf(LayerRoles, role) >= 0 || role == FastaiRole.WeightHhCopy;

    /// <summary>
    /// Expands <paramref name="layout"/>'s tables for <paramref name="layers"/> layers, one or two directions and the
    /// given head blocks into source name → role. Fails on a collision, which would be a table bug.
    /// </summary>
    internal static Dictionary<string, MappedName> Expand(LayoutDescriptor layout, int layers, bool bidirectional, IReadOnlyList<HeadBlockIndex> head)
    {
        var map = new Dictionary<string, MappedName>(StringComparer.Ordinal);
        void Add(AliasEntry e, NamePlaceholders values, int index)
        {
            string name = values.Fill(e.Template);
            if (!map.TryAdd(name, new(e.Role, index, e.Presence))) throw new InvalidOperationException($"name map collision on '{name}' in layout {layout.Layout}");
        }
        var prefix = new NamePlaceholders(layout.EncoderPrefix);
        foreach (var e in layout.Encoder)
        {
            if (!IsLayerRole(e.Role)) Add(e, prefix, 0);
            else if (bidirectional || !IsReverse(e.Role))
                for (int l = 0; l < layers; l++) Add(e, prefix with { Layer = l }, l);
        }
        foreach (var e in layout.Decoder) Add(e, prefix, 0);
        foreach (var b in head)
            foreach (var e in layout.Head) Add(e, prefix with { Block = b.Block, BatchNorm = b.BatchNorm, Linear = b.Linear }, b.Block);
        return map;
    }

    /// <summary>
    /// True when <paramref name="key"/> is a name of some layout's tables under any prefix (<c>model.</c>, <c>foo.0.</c>):
    /// a fastai AWD-LSTM saved inside something else, which must not be mistaken for a file of unrelated tensors.
    /// </summary>
    internal static bool IsFastaiNameUnderAnyPrefix(string key)
    {
        string last = key[(key.LastIndexOf('.') + 1)..];
        foreach (var d in Layouts)
        {
            foreach (var e in d.Encoder)
                if (MatchesTail(key, e.Template) || (last == LastSegment(e.Template) && !CanonicalLastSegments.Contains(last))) return true;
        }
        return false;
    }

    // A parameter name that only fastai's modules produce (WeightDropout's weight_hh_l0_raw), unlike the weight/bias
    // names every module has, marks a fastai checkpoint wherever it sits.
    private static readonly HashSet<string> CanonicalLastSegments = LastSegments(Canonical);

    // A loop: LINQ over the descriptor's entries is JIT-compiled at every start of the CLI.
    private static HashSet<string> LastSegments(LayoutDescriptor descriptor)
    {
        var segments = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in descriptor.Entries) segments.Add(LastSegment(entry.Template));
        return segments;
    }

    private static string LastSegment(string template) => template[(template.LastIndexOf('.') + 1)..];

    // Matches the template's part after {p} against the end of the key, whole dot-separated segments only, with the
    // index placeholders standing for decimal numbers.
    private static bool MatchesTail(string key, string template)
    {
        const string Prefix = "{p}";
        if (!template.StartsWith(Prefix, StringComparison.Ordinal)) return false;
        string[] tail = template[Prefix.Length..].Split('.');
        string[] segments = key.Split('.');
        if (segments.Length < tail.Length) return false;
        int offset = segments.Length - tail.Length;
        for (int i = 0; i < tail.Length; i++)
        {
            string want = tail[i], have = segments[offset + i];
            bool ok = want.StartsWith('{') ? have.Length > 0 && have.All(char.IsAsciiDigit) : want == have;
            if (!ok) return false;
        }
        return true;
    }

    // A version's table: the base table with the entries for the changed roles replaced.
    private static AliasEntry[] With(AliasEntry[] baseTable, params AliasEntry[] changes) =>
        [.. baseTable.Select(e => Array.Find(changes, c => c.Role == e.Role) is { Template: not null } c ? c : e)];
}
