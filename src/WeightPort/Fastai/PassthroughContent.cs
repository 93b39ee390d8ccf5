namespace WeightPort.Fastai;

/// <summary>Not a fastai AWD-LSTM (or forced to be treated as none): every tensor keeps its path as its name.</summary>
/// <param name="Tensors">Every tensor of the checkpoint, in file order.</param>
/// <param name="Decisions">The passthrough decision.</param>
internal sealed record PassthroughContent(IReadOnlyList<SourceTensor> Tensors, IReadOnlyList<ConversionDecision> Decisions)
    : FastaiContent(Decisions);
