using WeightPort.Fastai;

namespace WeightPort.Conversion;

/// <summary>
/// What a conversion writes: the ordered output tensors under their canonical names, what is dropped and why, every
/// decision taken, and the configuration. Writers consume <see cref="Tensors"/>, and model loading reads the same
/// tensors, so both go through the same validation.
/// </summary>
public sealed class ConversionPlan
{
    /// <summary>
    /// Validates <paramref name="checkpoint"/> (throwing on any refusal) and plans the output: canonical names in
    /// canonical order, the recurrent matrix from <c>weight_hh_l0_raw</c>, duplicates dropped with reasons, casts
    /// checked value by value.
    /// </summary>
    /// <param name="checkpoint">The checkpoint to convert.</param>
    /// <param name="options">The cast, the tied decoder and the vocabulary; none when null.</param>
    /// <exception cref="CheckpointFormatException">A redundancy check refused the file, the vocabulary does not fit, or a cast changes values and <see cref="ConversionOptions.RequireLosslessCast"/> is set.</exception>
    /// <exception cref="ArgumentException">A target dtype other than float32, float16 or bfloat16.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="checkpoint"/> is null.</exception>
    public static ConversionPlan Create(FastaiCheckpoint checkpoint, ConversionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        return ConversionPlanner.Plan(checkpoint, options ?? ConversionOptions.Default);
    }

    /// <summary>
    /// Writes the plan to <paramref name="target"/>: the weights in its format, the vocabulary of
    /// <see cref="ConversionOptions.Vocabulary"/> as JSON, and a manifest of every decision. Each file goes to a
    /// temporary file in the same folder and is renamed into place, so an interrupted run never leaves a partial output.
    /// </summary>
    /// <param name="target">Output path, format and overwrite policy.</param>
    /// <param name="progress">Receives (bytes written, bytes total) as tensors complete.</param>
    /// <returns>What was written, with the manifest.</returns>
    /// <exception cref="OutputExistsException">An output exists and <see cref="ConvertTarget.Overwrite"/> is false; nothing was written.</exception>
    /// <exception cref="ArgumentException">The output is the input file.</exception>
    /// <exception cref="IOException">Writing failed; the previous outputs, if any, are untouched.</exception>
    public ConversionResult Write(ConvertTarget target, IProgress<(long Done, long Total)>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(target);
        return CheckpointConverter.Write(this, target, progress, sourceHash: null);
    }

    internal ConversionPlan(string sourcePath, FastaiLayout layout, FastaiModelConfig? config, IReadOnlyList<PlannedTensor> tensors,
        IReadOnlyList<DroppedTensor> dropped, IReadOnlyList<ConversionDecision> decisions, ConversionOptions options, int sourceTensorCount)
    {
        SourceTensorCount = sourceTensorCount;
        SourcePath = sourcePath;
        Layout = layout;
        Config = config;
        Tensors = tensors;
        Dropped = dropped;
        Decisions = decisions;
        Options = options;
    }

    /// <summary>The checkpoint file.</summary>
    public string SourcePath { get; }
    /// <summary>The source layout.</summary>
    public FastaiLayout Layout { get; }
    /// <summary>The inferred configuration; null for <see cref="FastaiLayout.Passthrough"/>.</summary>
    public FastaiModelConfig? Config { get; }
    /// <summary>The output tensors, in the order to write them.</summary>
    public IReadOnlyList<PlannedTensor> Tensors { get; }
    /// <summary>The source tensors not written, with reasons.</summary>
    internal IReadOnlyList<DroppedTensor> Dropped { get; }
    /// <summary>Every decision: layout, redundancy checks, tie, casts, vocabulary.</summary>
    public IReadOnlyList<ConversionDecision> Decisions { get; }
    /// <summary>How many tensors the source checkpoint holds.</summary>
    internal int SourceTensorCount { get; }

    /// <summary>The options the plan was made with.</summary>
    public ConversionOptions Options { get; }

    /// <summary>Looks an output tensor up by its target name.</summary>
    /// <param name="targetName">The name to write, e.g. <c>rnns.0.weight_hh_l0</c>.</param>
    /// <returns>The tensor, or null when the plan writes no such name.</returns>
    public PlannedTensor? Find(string targetName) => Tensors.FirstOrDefault(t => t.TargetName == targetName);
}
