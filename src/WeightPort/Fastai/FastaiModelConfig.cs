using WeightPort.Tensors;

namespace WeightPort.Fastai;

/// <summary>
/// The configuration inferred from a fastai checkpoint's shapes (and, for <see cref="Tied"/>, its values).
/// </summary>
/// <param name="Model">Vocabulary, embedding and hidden sizes, layers, direction.</param>
/// <param name="HasDecoder">True for language models (and canonical files with a decoder).</param>
/// <param name="Tied">True when the decoder matrix is the embedding (same view or bitwise equal values).</param>
/// <param name="DecoderBias">True when the decoder has a bias.</param>
/// <param name="HeadSizes">Classifier head widths <c>[3·emb, lin_ftrs…, n_classes]</c>; empty without a head.</param>
/// <param name="HeadLinearBias">True when the head's Linear layers have a bias (fastai v1, v0.7).</param>
/// <param name="HeadDropoutFree">Per head block: true when the block had no Dropout module (p = 0 ⇒ Linear index shifted); empty without a head or for named heads.</param>
/// <param name="DType">The embedding's element type (fastai v1 fp16 saves float16 weights with float32 BatchNorm).</param>
public sealed record FastaiModelConfig(
    AwdLstmConfig Model,
    bool HasDecoder,
    bool Tied,
    bool DecoderBias,
    IReadOnlyList<int> HeadSizes,
    bool HeadLinearBias,
    IReadOnlyList<bool> HeadDropoutFree,
    DType DType)
{
    /// <summary>True when there is a classifier head.</summary>
    public bool IsClassifier => HeadSizes.Count > 0;

    /// <summary>Number of classes (the last head width), or null without a head.</summary>
    public int? ClassCount => HeadSizes.Count > 0 ? HeadSizes[^1] : null;
}
