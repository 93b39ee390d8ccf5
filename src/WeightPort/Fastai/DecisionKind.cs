namespace WeightPort.Fastai;

/// <summary>What a <see cref="ConversionDecision"/> is about.</summary>
public enum DecisionKind
{
    /// <summary>Which layout was recognised or forced.</summary>
    Layout,
    /// <summary>The optimizer state of a <c>{'model', 'opt'}</c> file.</summary>
    OptimizerState,
    /// <summary>The embedding alias (<c>encoder_dp.emb.weight</c>) against <c>encoder.weight</c>.</summary>
    EmbeddingCopy,
    /// <summary>WeightDropout's <c>module.weight_hh_l0</c> against <c>weight_hh_l0_raw</c>.</summary>
    RecurrentCopy,
    /// <summary>The decoder matrix against the embedding.</summary>
    DecoderTie,
    /// <summary>A dtype cast of the output.</summary>
    Cast,
    /// <summary>The vocabulary length against the embedding rows.</summary>
    Vocabulary,
    /// <summary>A subtree the caller asked to ignore (<see cref="FastaiOptions.IgnoredSubtrees"/>): not converted, its globals recorded.</summary>
    IgnoredSubtree,
}
