namespace WeightPort.Formats;

/// <summary>How <see cref="CheckpointReader"/> treats what it finds.</summary>
public sealed record CheckpointReadOptions
{
    /// <summary>
    /// Dotted object paths whose content the caller will not use (fastai's <c>opt</c>). A non-allowlisted global under one
    /// of them is recorded in <see cref="Checkpoint.UnsafeGlobals"/>; anywhere else it fails the read.
    /// </summary>
    public IReadOnlyCollection<string> IgnoredSubtrees { get; init; } = [];

    /// <summary>
    /// Scanner mode (<c>weightport inspect</c>, <c>--scan</c>): never fail on a non-allowlisted global, record every one.
    /// Tensors that need such a global are left out of <see cref="Checkpoint.Tensors"/>.
    /// </summary>
    public bool ReportUnsafeGlobals { get; init; }

    /// <summary>The default options: strict.</summary>
    public static CheckpointReadOptions Default { get; } = new();
}
