using System.Globalization;
using WeightPort.Tensors;

namespace WeightPort.Fastai;

/// <summary>
/// The value checks behind every dropped duplicate (fastai-layouts.md §1–2): the embedding alias, WeightDropout's
/// derived recurrent copy and the decoder tie. Each yields one <see cref="ConversionDecision"/>; a failed check is a
/// <see cref="DecisionVerdict.Refused"/> decision with the numbers, never a silent choice.
/// </summary>
internal static class RedundancyValidator
{
    public static IEnumerable<ConversionDecision> Validate(PlacedTensors placed, FastaiOptions options)
    {
        var emb = placed.Get(FastaiRole.Embedding);
        if (placed.Find(FastaiRole.EmbeddingCopy) is { } alias) yield return CheckEmbeddingAlias(emb, alias, options.AllowEmbeddingMismatch);
        for (int l = 0; l < placed.Structure.Layers; l++)
        {
            if (placed.Find(FastaiRole.WeightHhCopy, l) is { } copy)
                yield return CheckRecurrentCopy(placed.Get(FastaiRole.WeightHh, l), copy, l);
        }
    }

    public static ConversionDecision CheckEmbeddingAlias(SourceTensor emb, SourceTensor alias, bool allowMismatch)
    {
        string[] keys = [emb.SourcePath, alias.SourcePath];
        if (emb.Tensor.IsSameViewAs(alias.Tensor))
            return new(DecisionKind.EmbeddingCopy, keys, DecisionVerdict.DroppedSameView,
                $"'{alias.SourcePath}' is the same storage view as '{emb.SourcePath}' (storage '{emb.Tensor.Storage.Key}'); stored once");
        var diff = TensorComparison.Compare(emb.Tensor, alias.Tensor);
        if (diff.Equal)
            return new(DecisionKind.EmbeddingCopy, keys, DecisionVerdict.DroppedEqual,
                $"'{alias.SourcePath}' is a separate storage with values bitwise equal to '{emb.SourcePath}' ({diff.Total:N0} elements); stored once");
        string numbers = DescribeDifference(diff, emb.SourcePath, alias.SourcePath);
        return allowMismatch
            ? new(DecisionKind.EmbeddingCopy, keys, DecisionVerdict.KeptByOverride,
                $"WARNING: embedding alias '{alias.SourcePath}' differs from '{emb.SourcePath}': {numbers}; '{emb.SourcePath}' is kept and the alias dropped because embedding mismatches were allowed")
            : new(DecisionKind.EmbeddingCopy, keys, DecisionVerdict.Refused,
                $"embedding alias '{alias.SourcePath}' differs from '{emb.SourcePath}': {numbers}; fastai ties them, so the file was modified inconsistently (allow it with the embedding-mismatch override to keep '{emb.SourcePath}')");
    }

    public static ConversionDecision CheckRecurrentCopy(SourceTensor raw, SourceTensor copy, int layer)
    {
        string[] keys = [raw.SourcePath, copy.SourcePath];
        if (raw.Tensor.IsSameViewAs(copy.Tensor))
            return new(DecisionKind.RecurrentCopy, keys, DecisionVerdict.DroppedSameView,
                $"layer {layer}: '{copy.SourcePath}' is the same storage view as '{raw.SourcePath}'; the raw matrix is used");
        var diff = TensorComparison.Compare(raw.Tensor, copy.Tensor);
        if (diff.Equal)
            return new(DecisionKind.RecurrentCopy, keys, DecisionVerdict.DroppedEqual,
                $"layer {layer}: '{copy.SourcePath}' equals '{raw.SourcePath}' bit for bit ({diff.Total:N0} elements); the raw matrix is used");
        var mask = TensorComparison.CheckDropoutMask(raw.Tensor, copy.Tensor);
        if (mask.Explained)
            return new(DecisionKind.RecurrentCopy, keys, DecisionVerdict.DroppedMasked,
                Inv($"layer {layer}: '{copy.SourcePath}' is '{raw.SourcePath}' after weight dropout with p = {mask.P:G6} (scale {mask.Scale:G9} = 1/(1-p), ") +
                    Inv($"{mask.Dropped:N0} of {mask.Total:N0} elements zeroed, {mask.Kept:N0} kept, {(mask.Exact ? "every kept element reproduced bit for bit" : "every kept element within 1 ULP")}); ") +
                    "the raw (undropped) matrix is used");
        string extra = mask.FirstFlatIndex >= 0
            ? string.Create(CultureInfo.InvariantCulture, $"; first unexplained element at {Index(mask.FirstIndex)} (flat {mask.FirstFlatIndex:N0}): raw {mask.FirstRaw:G9}, copy {mask.FirstCopy:G9}")
            : "";
        return new(DecisionKind.RecurrentCopy, keys, DecisionVerdict.Refused,
            $"layer {layer}: '{copy.SourcePath}' is neither equal to '{raw.SourcePath}' nor a dropout-masked copy of it: " +
            $"{DescribeDifference(diff, raw.SourcePath, copy.SourcePath)}; dropout check: {mask.Reason}{extra}");
    }

    /// <summary>Tied when the decoder is the same view as the embedding or bitwise equal to it.</summary>
    public static (bool Tied, ConversionDecision Decision) CheckDecoderTie(SourceTensor emb, SourceTensor decoder)
    {
        string[] keys = [emb.SourcePath, decoder.SourcePath];
        if (emb.Tensor.IsSameViewAs(decoder.Tensor))
            return (true, new(DecisionKind.DecoderTie, keys, DecisionVerdict.Tied,
                $"'{decoder.SourcePath}' is the same storage view as '{emb.SourcePath}': tied, stored once as encoder.weight"));
        var diff = TensorComparison.Compare(emb.Tensor, decoder.Tensor);
        if (diff.Equal)
            return (true, new(DecisionKind.DecoderTie, keys, DecisionVerdict.Tied,
                $"'{decoder.SourcePath}' has values bitwise equal to '{emb.SourcePath}' (a separate storage): tied, stored once as encoder.weight"));
        return (false, new(DecisionKind.DecoderTie, keys, DecisionVerdict.Untied,
            $"'{decoder.SourcePath}' differs from '{emb.SourcePath}' ({DescribeDifference(diff, emb.SourcePath, decoder.SourcePath)}): untied, kept as decoder.weight"));
    }

    internal static string DescribeDifference(ValueDifference d, string a, string b) =>
        Inv($"{d.Differing:N0} of {d.Total:N0} elements differ, largest absolute difference {d.MaxAbsDifference:G9}, ") +
            Inv($"first at {Index(d.FirstIndex)} (flat {d.FirstFlatIndex:N0}): '{a}' = {d.FirstA:G9}, '{b}' = {d.FirstB:G9}");

    private static string Inv(FormattableString s) => FormattableString.Invariant(s);

    internal static string Index(long[] index) => "[" + string.Join(", ", index.Select(i => i.ToString(CultureInfo.InvariantCulture))) + "]";
}
