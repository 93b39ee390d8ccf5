namespace WeightPort.Model;

/// <summary>Which fastai version's classifier encoder and pooling to reproduce (docs/fastai-layouts.md §6).</summary>
internal enum ClassifierPooling
{
    /// <summary>
    /// fastai ≥ 2.0 <c>SentenceEncoder</c> + <c>masked_concat_pool</c>: per chunk only the first rows whose token at
    /// the chunk start is not padding run; chunks kept when <c>seq − start ≤ maxLen</c>; last = last real token.
    /// </summary>
    FastaiV2,

    /// <summary>
    /// fastai 1.x (≥ 1.0.47) <c>MultiBatchEncoder</c> + <c>masked_concat_pool</c>: the full batch runs every chunk;
    /// chunks kept when <c>start &gt; seq − maxLen</c>; avg = mean with pads zeroed × L / (L − pads); last = output[:, −1].
    /// </summary>
    FastaiV1,
}
