namespace WeightPort.Fastai;

/// <summary>
/// What a tensor is in an AWD-LSTM, whatever its name in the source layout. <see cref="FastaiNameMap"/> gives each role
/// its canonical target name (or the reason it is dropped); the alias tables give its source names per layout.
/// </summary>
internal enum FastaiRole
{
    /// <summary>The embedding matrix [vocab, emb] → <c>encoder.weight</c>.</summary>
    Embedding,
    /// <summary>EmbeddingDropout's alias of the embedding (<c>encoder_dp.emb.weight</c>); dropped after a value check.</summary>
    EmbeddingCopy,
    /// <summary>Layer input-hidden weights → <c>rnns.{layer}.weight_ih_l0</c>.</summary>
    WeightIh,
    /// <summary>The recurrent matrix, always from <c>weight_hh_l0_raw</c> → <c>rnns.{layer}.weight_hh_l0</c>.</summary>
    WeightHh,
    /// <summary>WeightDropout's derived copy <c>module.weight_hh_l0</c>; dropped after a value check.</summary>
    WeightHhCopy,
    /// <summary>Input-hidden bias → <c>rnns.{layer}.bias_ih_l0</c>.</summary>
    BiasIh,
    /// <summary>Hidden-hidden bias → <c>rnns.{layer}.bias_hh_l0</c>.</summary>
    BiasHh,
    /// <summary>Backward direction input-hidden weights (bidirectional only).</summary>
    WeightIhReverse,
    /// <summary>Backward direction recurrent matrix: an ordinary parameter, WeightDropout does not wrap it.</summary>
    WeightHhReverse,
    /// <summary>Backward direction input-hidden bias.</summary>
    BiasIhReverse,
    /// <summary>Backward direction hidden-hidden bias.</summary>
    BiasHhReverse,
    /// <summary>Decoder matrix [vocab, emb]; stored only when untied (or when asked).</summary>
    DecoderWeight,
    /// <summary>Decoder bias [vocab].</summary>
    DecoderBias,
    /// <summary>Classifier head block BatchNorm weight.</summary>
    HeadBnWeight,
    /// <summary>Classifier head block BatchNorm bias.</summary>
    HeadBnBias,
    /// <summary>Classifier head block BatchNorm running mean.</summary>
    HeadBnRunningMean,
    /// <summary>Classifier head block BatchNorm running variance.</summary>
    HeadBnRunningVar,
    /// <summary>Classifier head block BatchNorm step counter (int64 scalar).</summary>
    HeadBnNumBatchesTracked,
    /// <summary>Classifier head block Linear weight [out, in].</summary>
    HeadLinearWeight,
    /// <summary>Classifier head block Linear bias (fastai v1 and v0.7 only).</summary>
    HeadLinearBias,
}
