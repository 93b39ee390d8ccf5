using WeightPort.TorchSharp.Modules;

namespace WeightPort.TorchSharp.Loading;

/// <summary>What WeightPort's validation found in a checkpoint: the model it holds and every decision it took.</summary>
/// <param name="Architecture">Vocabulary, sizes, layers, direction, pad token.</param>
/// <param name="LayoutId">The layout, as <c>weightport convert --layout</c> names it (<c>v1-lm</c>, <c>canonical</c>, …).</param>
/// <param name="Family">The fastai version the layout belongs to.</param>
/// <param name="HasDecoder">A language model's decoder is present.</param>
/// <param name="Tied">The decoder is the embedding (same view or bitwise equal).</param>
/// <param name="DecoderBias">The decoder has a bias.</param>
/// <param name="HeadSizes">Classifier head widths <c>[3·emb, …, classes]</c>; empty without a head.</param>
/// <param name="HeadLinearBias">The head's linear layers have a bias (v1, v0.7).</param>
/// <param name="SourceDType">The embedding's type in the file (PyTorch's name).</param>
/// <param name="Decisions">Every validation decision, as <c>weightport convert</c> reports it.</param>
public sealed record CheckpointDescription(
    AwdLstmArchitecture Architecture,
    string LayoutId,
    LayoutFamily Family,
    bool HasDecoder,
    bool Tied,
    bool DecoderBias,
    IReadOnlyList<int> HeadSizes,
    bool HeadLinearBias,
    string SourceDType,
    IReadOnlyList<string> Decisions)
{
    /// <summary>True when there is a classifier head.</summary>
    public bool IsClassifier => HeadSizes.Count > 0;
}
