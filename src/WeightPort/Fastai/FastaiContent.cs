namespace WeightPort.Fastai;

/// <summary>What a <see cref="FastaiCheckpoint"/> found: a fastai AWD-LSTM, or tensors kept under their own names.</summary>
/// <param name="Decisions">The layout decision and what recognising it decided (the optimizer state, the decoder tie).</param>
internal abstract record FastaiContent(IReadOnlyList<ConversionDecision> Decisions);
