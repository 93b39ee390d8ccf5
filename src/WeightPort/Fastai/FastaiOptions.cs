namespace WeightPort.Fastai;

/// <summary>How <see cref="FastaiCheckpoint"/> recognises and validates a checkpoint.</summary>
public sealed record FastaiOptions
{
    /// <summary>Forces a layout instead of detecting it: a specific fastai layout, or <see cref="FastaiLayout.Passthrough"/> to keep every name.</summary>
    public FastaiLayout? Layout { get; init; }

    /// <summary>
    /// Accepts an embedding alias (<c>encoder_dp.emb.weight</c>) whose values differ from <c>encoder.weight</c>:
    /// <c>encoder.weight</c> is kept, the alias dropped, and a warning decision recorded. Off by default: a difference
    /// means the file was edited inconsistently and either copy may be the one the user meant.
    /// </summary>
    public bool AllowEmbeddingMismatch { get; init; }

    /// <summary>
    /// Object paths whose content is not needed and may hold globals outside the allowlist (a pickled vocabulary object,
    /// training arguments): read past, their globals recorded in <see cref="Formats.Checkpoint.UnsafeGlobals"/>, their
    /// tensors not converted. fastai's <c>opt</c> is always ignored.
    /// </summary>
    public IReadOnlyCollection<string> IgnoredSubtrees { get; init; } = [];

    /// <summary>The default options: detect, strict.</summary>
    public static FastaiOptions Default { get; } = new();
}
