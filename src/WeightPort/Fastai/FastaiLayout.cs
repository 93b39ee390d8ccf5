namespace WeightPort.Fastai;

/// <summary>
/// The source layouts WeightPort recognises (docs/fastai-layouts.md §1, §4). Each fastai layout has its own alias table in
/// <see cref="FastaiNameMap"/>; <see cref="Passthrough"/> keeps the checkpoint's names as they are.
/// </summary>
public enum FastaiLayout
{
    /// <summary>Not a fastai AWD-LSTM: every tensor is kept under its own name.</summary>
    Passthrough,
    /// <summary>Already in WeightPort's canonical names (<c>encoder.weight</c>, <c>rnns.0.weight_ih_l0</c>, …), e.g. a converted file.</summary>
    Canonical,
    /// <summary>fastai 0.7 language model: <c>0.encoder_with_dropout.embed.weight</c>, <c>0.rnns.N.module.weight_hh_l0_raw</c>.</summary>
    LanguageModelV07,
    /// <summary>fastai 1.x language model: <c>0.rnns.N.weight_hh_l0_raw</c> plus the derived copy <c>0.rnns.N.module.weight_hh_l0</c>.</summary>
    LanguageModelV1,
    /// <summary>fastai ≥ 2.0 language model: <c>0.rnns.N.weight_hh_l0_raw</c>, no derived copy.</summary>
    LanguageModelV2,
    /// <summary>fastai 0.7 encoder without the <c>0.</c> prefix.</summary>
    EncoderV07,
    /// <summary>fastai 1.x <c>save_encoder</c> file (no <c>0.</c> prefix, with the derived copy).</summary>
    EncoderV1,
    /// <summary>fastai ≥ 2.0 <c>save_encoder</c> file (no <c>0.</c> prefix).</summary>
    EncoderV2,
    /// <summary>fastai 0.7 classifier: encoder under <c>0.</c>, head <c>1.layers.K.{bn,lin}</c>.</summary>
    ClassifierV07,
    /// <summary>fastai 1.x (≥ 1.0.43) classifier: encoder under <c>0.module.</c>, flat head <c>1.layers.I</c> with Linear bias.</summary>
    ClassifierV1,
    /// <summary>fastai ≥ 2.0 classifier: encoder under <c>0.module.</c>, nested head <c>1.layers.K.J</c> (LinBnDrop), Linear without bias.</summary>
    ClassifierV2,
}
