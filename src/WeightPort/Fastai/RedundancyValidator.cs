using WeightPort.Tensors;

namespace WeightPort.Fastai;

/// <summary>
/// The value checks behind every dropped duplicate (docs/fastai-layouts.md §2): the embedding alias, WeightDropout's
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
            return new(DecisionKind.EmbeddingCopy, keys, DecisionVerdict.DroppedSameView, DecisionMessages.EmbeddingSameView(emb, alias));
        var diff = TensorComparison.Compare(emb.Tensor, alias.Tensor);
        if (diff.Equal)
            return new(DecisionKind.EmbeddingCopy, keys, DecisionVerdict.DroppedEqual, DecisionMessages.EmbeddingEqual(emb, alias, diff));
        return allowMismatch
            ? new(DecisionKind.EmbeddingCopy, keys, DecisionVerdict.KeptByOverride, DecisionMessages.EmbeddingMismatchAllowed(emb, alias, diff))
            : new(DecisionKind.EmbeddingCopy, keys, DecisionVerdict.Refused, DecisionMessages.EmbeddingMismatch(emb, alias, diff));
    }

    public static ConversionDecision CheckRecurrentCopy(SourceTensor raw, SourceTensor copy, int layer)
    {
        string[] keys = [raw.SourcePath, copy.SourcePath];
        if (raw.Tensor.IsSameViewAs(copy.Tensor))
            return new(DecisionKind.RecurrentCopy, keys, DecisionVerdict.DroppedSameView, DecisionMessages.RecurrentSameView(layer, raw, copy));
        var diff = TensorComparison.Compare(raw.Tensor, copy.Tensor);
        if (diff.Equal)
            return new(DecisionKind.RecurrentCopy, keys, DecisionVerdict.DroppedEqual, DecisionMessages.RecurrentEqual(layer, raw, copy, diff));
        var mask = DropoutMaskCheck.Check(raw.Tensor, copy.Tensor);
        return mask.Explained
            ? new(DecisionKind.RecurrentCopy, keys, DecisionVerdict.DroppedMasked, DecisionMessages.RecurrentMasked(layer, raw, copy, mask))
            : new(DecisionKind.RecurrentCopy, keys, DecisionVerdict.Refused, DecisionMessages.RecurrentMismatch(layer, raw, copy, diff, mask));
    }

    /// <summary>Tied when the decoder is the same view as the embedding or bitwise equal to it.</summary>
    public static (bool Tied, ConversionDecision Decision) CheckDecoderTie(SourceTensor emb, SourceTensor decoder)
    {
        string[] keys = [emb.SourcePath, decoder.SourcePath];
        if (emb.Tensor.IsSameViewAs(decoder.Tensor))
            return (true, new(DecisionKind.DecoderTie, keys, DecisionVerdict.Tied, DecisionMessages.DecoderSameView(emb, decoder)));
        var diff = TensorComparison.Compare(emb.Tensor, decoder.Tensor);
        return diff.Equal
            ? (true, new(DecisionKind.DecoderTie, keys, DecisionVerdict.Tied, DecisionMessages.DecoderEqual(emb, decoder)))
            : (false, new(DecisionKind.DecoderTie, keys, DecisionVerdict.Untied, DecisionMessages.DecoderUntied(emb, decoder, diff)));
    }
}
