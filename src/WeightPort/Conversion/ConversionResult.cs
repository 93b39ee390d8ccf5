namespace WeightPort.Conversion;

/// <summary>What a conversion wrote.</summary>
public sealed class ConversionResult
{
    internal ConversionResult(ConversionPlan plan, ConvertTarget target, ConversionManifest manifest,
        int inputKeys, long inputBytes, int outputKeys, long outputBytes, bool vocabularyWritten)
    {
        Plan = plan;
        Target = target;
        Manifest = manifest;
        InputKeys = inputKeys;
        InputBytes = inputBytes;
        OutputKeys = outputKeys;
        OutputBytes = outputBytes;
        VocabularyWritten = vocabularyWritten;
    }

    /// <summary>The validated plan that was written.</summary>
    public ConversionPlan Plan { get; }

    /// <summary>Where it was written.</summary>
    public ConvertTarget Target { get; }

    /// <summary>The manifest, with the output's size and sha256.</summary>
    internal ConversionManifest Manifest { get; }

    /// <summary>Tensors in the source checkpoint.</summary>
    public int InputKeys { get; }

    /// <summary>Size of the source file in bytes.</summary>
    public long InputBytes { get; }

    /// <summary>Tensor names written.</summary>
    public int OutputKeys { get; }

    /// <summary>Size of the weights file written, in bytes.</summary>
    public long OutputBytes { get; }

    /// <summary>Whether a vocabulary JSON was written.</summary>
    public bool VocabularyWritten { get; }

    /// <summary>
    /// A vocabulary JSON left at <see cref="ConvertTarget.VocabularyPath"/> by an earlier conversion, when this one wrote
    /// none: kept (it is never deleted) and marked stale in the manifest, since it does not describe these weights.
    /// Null when there is none.
    /// </summary>
    public string? StaleVocabularyPath { get; init; }
}
