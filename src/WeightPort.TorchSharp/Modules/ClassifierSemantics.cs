namespace WeightPort.TorchSharp.Modules;

/// <summary>Whose sentence encoding and pooling a <see cref="AwdLstmTextClassifier"/> reproduces.</summary>
public enum ClassifierSemantics
{
    /// <summary>
    /// fastai ≥ 2.0: <c>SentenceEncoder</c> runs each bptt chunk on the rows whose token at the chunk's start is not
    /// padding (batches sorted by decreasing length, <c>pad_input_chunk</c> padding); pooling
    /// <c>[last real token, masked max, masked mean]</c>.
    /// </summary>
    FastaiV2,

    /// <summary>
    /// fastai 1.x (≥ 1.0.47): <c>MultiBatchEncoder</c> runs every chunk on the whole batch (padding first); pooling
    /// <c>[output[:, −1], masked max, masked mean]</c>.
    /// </summary>
    FastaiV1,
}
