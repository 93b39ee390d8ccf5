using WeightPort.Fastai;

namespace WeightPort.Conversion;

/// <summary>What a conversion did.</summary>
/// <param name="Plan">The validated plan that was written.</param>
/// <param name="Target">Where it was written.</param>
/// <param name="Manifest">The manifest, with the output's size and sha256.</param>
/// <param name="InputKeys">Tensors in the source checkpoint.</param>
/// <param name="InputBytes">Size of the source file.</param>
/// <param name="OutputKeys">Tensor names written.</param>
/// <param name="OutputBytes">Size of the weights file written.</param>
/// <param name="VocabularyWritten">Whether a vocabulary JSON was written.</param>
public sealed record ConversionResult(ConversionPlan Plan, ConvertTarget Target, ConversionManifest Manifest,
    int InputKeys, long InputBytes, int OutputKeys, long OutputBytes, bool VocabularyWritten)
{
    /// <summary>
    /// Whether a vocabulary JSON left by an earlier conversion to the same output was deleted (an overwrite without a
    /// vocabulary; it belonged to the replaced weights).
    /// </summary>
    public bool StaleVocabularyRemoved { get; init; }
}
