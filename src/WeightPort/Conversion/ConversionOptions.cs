using WeightPort.Tensors;

namespace WeightPort.Conversion;

/// <summary>How <see cref="ConversionPlan.Create"/> plans a conversion.</summary>
public sealed record ConversionOptions
{
    /// <summary>
    /// Cast every floating-point tensor to this type (<c>--dtype</c>): float32, float16 or bfloat16. Integer tensors
    /// (BatchNorm's <c>num_batches_tracked</c>) are never cast. Null keeps each tensor's type.
    /// </summary>
    public DType? TargetDType { get; init; }

    /// <summary>Write <c>decoder.weight</c> even when it is tied to <c>encoder.weight</c> (a consumer that cannot tie).</summary>
    public bool WriteTiedDecoderWeight { get; init; }

    /// <summary>Refuse (with <see cref="CheckpointError.InvalidContent"/>) a cast that changes any value.</summary>
    public bool RequireLosslessCast { get; init; }

    /// <summary>The vocabulary (itos) to check against the embedding rows; null skips the check.</summary>
    public IReadOnlyList<string>? Vocabulary { get; init; }

    /// <summary>The default options: no cast, tied decoder stored once.</summary>
    public static ConversionOptions Default { get; } = new();
}
