using System.Globalization;
using WeightPort.Tensors;

namespace WeightPort.Fastai;

/// <summary>
/// Every sentence that validation and planning record or throw, in one place: decisions name the keys and give the
/// numbers behind them, and refusals say what to do in the library's terms (the option's property name), which the
/// command line maps to its flags.
/// </summary>
internal static class DecisionMessages
{
    /// <summary>The option that accepts a differing embedding alias.</summary>
    public const string AllowEmbeddingMismatchOption = nameof(FastaiOptions) + "." + nameof(FastaiOptions.AllowEmbeddingMismatch);

    /// <summary>The option that forces a layout.</summary>
    public const string LayoutOption = nameof(FastaiOptions) + "." + nameof(FastaiOptions.Layout);

    public static string Layout(FastaiLayout layout, bool forced, bool wrapped, FastaiModelConfig config)
    {
        var m = config.Model;
        string text = Inv($"{(forced ? "layout forced to" : "detected layout")} '{layout.Id()}'{(wrapped ? " (unwrapped from {'model', 'opt'})" : "")}: ") +
            Inv($"vocab {m.VocabSize:N0}, emb {m.EmbSize}, n_hid {m.HiddenSize}, {Plural(m.Layers, "layer")}, ") +
            Inv($"{(m.Bidirectional ? "bidirectional" : "unidirectional")}, {config.DType.TorchName()}");
        if (config.HasDecoder) text += Inv($", decoder {(config.DecoderBias ? "with" : "without")} bias");
        if (!config.IsClassifier) return text;
        text += Inv($", head [{string.Join(", ", config.HeadSizes)}] Linear {(config.HeadLinearBias ? "with" : "without")} bias");
        var shifted = config.HeadDropoutFree.Select((free, block) => (free, block)).Where(x => x.free).Select(x => x.block).ToList();
        return shifted.Count == 0 ? text : text + Inv($", Linear index shifted by a p = 0 block (no Dropout module) in block(s) {string.Join(", ", shifted)}");
    }

    public static string Passthrough(bool forced, int tensors) =>
        (forced ? "layout forced to 'passthrough'" : "not a fastai AWD-LSTM checkpoint: layout 'passthrough'") +
        Inv($": {tensors:N0} tensors kept under their own names");

    public static string OptimizerState(int tensors, IEnumerable<string> globals)
    {
        var names = globals.Distinct(StringComparer.Ordinal).ToList();
        return Inv($"'opt' (optimizer state, {tensors:N0} tensors) is not part of the model and is not converted") +
            (names.Count == 0 ? "" : "; non-allowlisted globals recorded, never resolved: " + string.Join(", ", names));
    }

    /// <summary>The option that ignores subtrees.</summary>
    public const string IgnoredSubtreesOption = nameof(FastaiOptions) + "." + nameof(FastaiOptions.IgnoredSubtrees);

    public static string IgnoredSubtree(string subtree, int tensors, IEnumerable<string> globals)
    {
        var names = globals.Distinct(StringComparer.Ordinal).ToList();
        return Inv($"'{subtree}' is ignored because {IgnoredSubtreesOption} names it: {Plural(tensors, "tensor")} not converted") +
            (names.Count == 0 ? "" : "; non-allowlisted globals recorded, never resolved: " + string.Join(", ", names));
    }

    public static string IgnoredTensorDropped(string subtree) => $"under '{subtree}', which {IgnoredSubtreesOption} ignores";

    public static string EmbeddingSameView(SourceTensor emb, SourceTensor alias) =>
        $"'{alias.SourcePath}' is the same storage view as '{emb.SourcePath}' (storage '{emb.Tensor.Storage.Key}'); stored once";

    public static string EmbeddingEqual(SourceTensor emb, SourceTensor alias, ValueDifference diff) =>
        Inv($"'{alias.SourcePath}' is a separate storage with values bitwise equal to '{emb.SourcePath}' ({diff.Total:N0} elements); stored once");

    public static string EmbeddingMismatchAllowed(SourceTensor emb, SourceTensor alias, ValueDifference diff) =>
        $"WARNING: embedding alias '{alias.SourcePath}' differs from '{emb.SourcePath}': {Difference(diff, emb.SourcePath, alias.SourcePath)}; " +
        $"'{emb.SourcePath}' is kept and the alias dropped because {AllowEmbeddingMismatchOption} is set";

    public static string EmbeddingMismatch(SourceTensor emb, SourceTensor alias, ValueDifference diff) =>
        $"embedding alias '{alias.SourcePath}' differs from '{emb.SourcePath}': {Difference(diff, emb.SourcePath, alias.SourcePath)}; " +
        $"fastai ties them, so the file was modified inconsistently (set {AllowEmbeddingMismatchOption} to keep '{emb.SourcePath}')";

    public static string RecurrentSameView(int layer, SourceTensor raw, SourceTensor copy) =>
        $"layer {layer}: '{copy.SourcePath}' is the same storage view as '{raw.SourcePath}'; the raw matrix is used";

    public static string RecurrentEqual(int layer, SourceTensor raw, SourceTensor copy, ValueDifference diff) =>
        Inv($"layer {layer}: '{copy.SourcePath}' equals '{raw.SourcePath}' bit for bit ({diff.Total:N0} elements); the raw matrix is used");

    public static string RecurrentMasked(int layer, SourceTensor raw, SourceTensor copy, DropoutMaskResult mask) =>
        Inv($"layer {layer}: '{copy.SourcePath}' is '{raw.SourcePath}' after weight dropout with p = {mask.P:G6} (scale {mask.Scale:G9} = 1/(1-p), ") +
        Inv($"{mask.Dropped:N0} of {mask.Total:N0} elements zeroed, {mask.Kept:N0} kept, {(mask.Exact ? "every kept element reproduced bit for bit" : "every kept element within 1 ULP")}); ") +
        "the raw (undropped) matrix is used";

    public static string RecurrentMismatch(int layer, SourceTensor raw, SourceTensor copy, ValueDifference diff, DropoutMaskResult mask)
    {
        string first = mask.FirstFlatIndex >= 0
            ? Inv($"; first unexplained element at {Index(mask.FirstIndex)} (flat {mask.FirstFlatIndex:N0}): raw {mask.FirstRaw:G9}, copy {mask.FirstCopy:G9}")
            : "";
        return $"layer {layer}: '{copy.SourcePath}' is neither equal to '{raw.SourcePath}' nor a dropout-masked copy of it: " +
            $"{Difference(diff, raw.SourcePath, copy.SourcePath)}; dropout check: {mask.Reason}{first}";
    }

    public static string DecoderSameView(SourceTensor emb, SourceTensor decoder) =>
        $"'{decoder.SourcePath}' is the same storage view as '{emb.SourcePath}': tied, stored once as encoder.weight";

    public static string DecoderEqual(SourceTensor emb, SourceTensor decoder) =>
        $"'{decoder.SourcePath}' has values bitwise equal to '{emb.SourcePath}' (a separate storage): tied, stored once as encoder.weight";

    public static string DecoderUntied(SourceTensor emb, SourceTensor decoder, ValueDifference diff) =>
        $"'{decoder.SourcePath}' differs from '{emb.SourcePath}' ({Difference(diff, emb.SourcePath, decoder.SourcePath)}): untied, kept as decoder.weight";

    public static string VocabularyFits(int entries, int rows, int padToken, IReadOnlyList<string> itos) =>
        Inv($"the vocabulary's {entries:N0} entries match the {rows:N0} embedding rows") +
        (entries > padToken ? Inv($"; token {padToken} (padding) is '{itos[padToken]}'") : "");

    public static string VocabularyMismatch(int entries, int rows, string embedding) =>
        Inv($"the vocabulary has {entries:N0} entries but the embedding '{embedding}' has {rows:N0} rows");

    public static string VocabularyWithoutEmbedding() =>
        "a vocabulary can only be checked against a fastai AWD-LSTM embedding; this checkpoint has layout 'passthrough'";

    public static string CastLossy(string key, DType from, DType to, ValueDifference diff) =>
        Inv($"casting '{key}' from {from.TorchName()} to {to.TorchName()} changes {diff.Differing:N0} of {diff.Total:N0} values, ") +
        Inv($"largest absolute change {diff.MaxAbsDifference:G9}, first at {Index(diff.FirstIndex)}: {diff.FirstA:G9} → {diff.FirstB:G9}");

    public static string CastLossless(int tensors, DType to) => Inv($"all {tensors:N0} cast tensors survive {to.TorchName()} and back bit for bit");

    public static string CastRefused(DType to, IReadOnlyList<string> lossy) =>
        $"casting to {to.TorchName()} would change values of {Plural(lossy.Count, "tensor")}: {ListNames(lossy)}";

    public static string Dropped(FastaiRole role, DecisionVerdict verdict) => verdict == DecisionVerdict.KeptByOverride
        ? $"embedding alias differs from encoder.weight; dropped because {AllowEmbeddingMismatchOption} is set (see decisions)"
        : $"{FastaiNameMap.DropReason(role)} ({Describe(verdict)})";

    public const string TiedDecoderDropped = "tied to encoder.weight (verified); stored once";

    public const string OptimizerTensorDropped = "optimizer state ('opt'), not model weights";

    public static string LayoutMismatch(LayoutMismatch m)
    {
        if (m.Layers == 0)
            return $"layout '{m.Descriptor.Layout.Id()}' needs LSTM layers '{m.Descriptor.EncoderPrefix}rnns.N.…' but the checkpoint has none";
        string shape = $"{Plural(m.Layers, "layer")}, {(m.Bidirectional ? "bidirectional" : "unidirectional")}" +
            (m.HeadBlocks > 0 ? $", {Plural(m.HeadBlocks, "head block")}" : "");
        var parts = new List<string>();
        if (m.Unexpected.Count > 0) parts.Add($"{Plural(m.Unexpected.Count, "unexpected key")}: {ListNames(m.Unexpected)}");
        if (m.Missing.Count > 0) parts.Add($"{Plural(m.Missing.Count, "missing key")}: {ListNames(m.Missing)}");
        return $"checkpoint does not fit layout '{m.Descriptor.Layout.Id()}' ({shape}): {string.Join("; ", parts)}";
    }

    public static string UnsupportedLayout(LayoutDescriptor d) =>
        $"{d.Unsupported}; set {LayoutOption} to force a layout, or to Passthrough to keep every name";

    public static string FastaiNamesUnderUnknownPrefix(IReadOnlyList<string> keys) =>
        "keys look like a fastai AWD-LSTM but no embedding 'encoder.weight' or 'rnns.N' layers were found under '0.module.', '0.' or '': " +
        $"unexpected keys: {ListNames(keys)}; set {LayoutOption} to Passthrough to keep every name";

    public static string NotAnAwdLstm() =>
        $"the checkpoint was not recognised as a fastai AWD-LSTM (layout 'passthrough'), so it cannot be loaded as one; {nameof(FastaiCheckpoint)}.{nameof(FastaiCheckpoint.Checkpoint)} lists what it holds";

    public static string DuplicateKey(string key) => $"tensor key '{key}' occurs twice";

    /// <summary>How two tensors differ, with the first differing element.</summary>
    public static string Difference(ValueDifference d, string a, string b) =>
        Inv($"{d.Differing:N0} of {d.Total:N0} elements differ, largest absolute difference {d.MaxAbsDifference:G9}, ") +
        Inv($"first at {Index(d.FirstIndex)} (flat {d.FirstFlatIndex:N0}): '{a}' = {d.FirstA:G9}, '{b}' = {d.FirstB:G9}");

    /// <summary>Formats a name list for a message: all names up to 40, then a count.</summary>
    public static string ListNames(IReadOnlyList<string> names)
    {
        const int Max = 40;
        string shown = string.Join(", ", names.Take(Max).Select(n => "'" + n + "'"));
        return names.Count > Max ? Inv($"{shown} … and {names.Count - Max:N0} more") : shown;
    }

    public static string Index(long[] index) => "[" + string.Join(", ", index.Select(i => i.ToString(CultureInfo.InvariantCulture))) + "]";

    private static string Describe(DecisionVerdict v) => v switch
    {
        DecisionVerdict.DroppedSameView => "same storage view",
        DecisionVerdict.DroppedEqual => "bitwise equal",
        DecisionVerdict.DroppedMasked => "dropout-masked copy",
        _ => v.ToString(),
    };

    private static string Plural(int n, string noun) => Inv($"{n:N0} {noun}{(n == 1 ? "" : "s")}");

    private static string Inv(FormattableString s) => FormattableString.Invariant(s);
}
