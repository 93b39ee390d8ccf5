using WeightPort.Fastai;

namespace WeightPort.Conversion;

/// <summary>The library form of <c>weightport convert</c>: <c>FastaiCheckpoint.Open(path)</c>, <c>Validate()</c>, <c>Convert(…)</c>.</summary>
public static class FastaiCheckpointConversion
{
    /// <summary>Validates, plans and writes <paramref name="checkpoint"/> to <paramref name="target"/>.</summary>
    /// <exception cref="CheckpointFormatException">A redundancy check, the vocabulary length or a required lossless cast failed.</exception>
    /// <exception cref="IOException">An output exists and overwriting was not asked for, or writing failed.</exception>
    public static ConversionResult Convert(this FastaiCheckpoint checkpoint, ConvertTarget target, ConversionOptions? options = null,
        IProgress<(long Done, long Total)>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        var plan = checkpoint.CreatePlan(options);
        return CheckpointConverter.Write(plan, target, checkpoint.Checkpoint.Tensors.Count, options?.Vocabulary, progress);
    }
}
