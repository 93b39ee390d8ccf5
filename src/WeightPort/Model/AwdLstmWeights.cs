namespace WeightPort.Model;

/// <summary>
/// All parameters of an AWD-LSTM language model or classifier, float32 row-major. The tied decoder is not stored twice:
/// <see cref="DecoderWeight"/> is null when the decoder uses <see cref="Embedding"/>.
/// </summary>
public sealed record AwdLstmWeights(
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
}
