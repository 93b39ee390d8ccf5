namespace WeightPort.Formats;

/// <summary>How <see cref="CheckpointReader"/> treats what it finds.</summary>
public sealed record CheckpointReadOptions
{
    /// <summary>The name messages give <see cref="IgnoredSubtrees"/>.</summary>
    internal const string IgnoredSubtreesOption = nameof(CheckpointReadOptions) + "." + nameof(IgnoredSubtrees);

    /// <summary>The name messages give <see cref="ReportUnsafeGlobals"/>.</summary>
    internal const string ReportUnsafeGlobalsOption = nameof(CheckpointReadOptions) + "." + nameof(ReportUnsafeGlobals);

    /// <summary>
    /// Dotted object paths whose content the caller will not use (fastai's <c>opt</c>, a pickled vocabulary object). A
    /// non-allowlisted global under one of them, whatever the pickle does with it, is recorded in
    /// <see cref="Checkpoint.UnsafeGlobals"/> and its subtree skipped; anywhere else it fails the read.
    /// </summary>
    public IReadOnlyCollection<string> IgnoredSubtrees { get; init; } = [];

    /// <summary>
    /// Scanner mode (<c>weightport inspect</c>, <c>--scan</c>): never fail on a non-allowlisted global, record every one,
    /// including those in parts of the file <c>torch.load</c> also unpickles (legacy header pickles, other pickles in a
    /// zip, a tar's <c>sys_info</c>). Tensors that need such a global are left out of <see cref="Checkpoint.Tensors"/>.
    /// </summary>
    public bool ReportUnsafeGlobals { get; init; }

    /// <summary>
    /// Viewer mode (<c>weightport inspect</c>): a non-allowlisted class or function that the object pickle only names
    /// or instantiates (<see cref="UnsafeGlobalUse.Referenced"/>, <see cref="UnsafeGlobalUse.Instantiated"/>) and that no
    /// tensor needs is recorded in <see cref="Checkpoint.UnsafeGlobals"/> with its path instead of failing the read, so
    /// that the tensors can be shown. Nothing is executed either way. A global that is called or modified, or that sits
    /// in a part of the file where torch writes none, still fails the read.
    /// </summary>
    public bool AllowForeignObjects { get; init; }

    /// <summary>How refusals name the option that ignores a subtree (a caller that sets <see cref="IgnoredSubtrees"/> from its own option names that one).</summary>
    internal string IgnoreOptionName { get; init; } = IgnoredSubtreesOption;

    /// <summary>The default options: strict.</summary>
    public static CheckpointReadOptions Default { get; } = new();
}
