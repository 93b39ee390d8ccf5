namespace WeightPort.Fastai;

/// <summary>What a <see cref="FastaiCheckpoint"/> found: a fastai AWD-LSTM, or tensors kept under their own names.</summary>
/// <param name="Decisions">The layout decision and what recognising it decided (the optimizer state, the decoder tie).</param>
internal abstract record FastaiContent(IReadOnlyList<ConversionDecision> Decisions)
{
    /// <summary>The tensors under subtrees the caller asked to ignore (<see cref="FastaiOptions.IgnoredSubtrees"/>), which are not converted.</summary>
    public IReadOnlyList<Formats.NamedTensor> Ignored { get; init; } = [];
}
