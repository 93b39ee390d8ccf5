using WeightPort.Conversion;
using WeightPort.Fastai;

namespace WeightPort.Model;

/// <summary>AWD-LSTM weights loaded and validated from a checkpoint, with what was learnt about it.</summary>
/// <param name="Path">The file read.</param>
/// <param name="Layout">The layout it was recognised as (<see cref="FastaiLayout.Canonical"/> for WeightPort's own outputs).</param>
/// <param name="Config">The configuration inferred from the shapes.</param>
/// <param name="Weights">float32 weights for a compute backend.</param>
/// <param name="Manifest">The conversion manifest beside the file, when there is one (already checked against the file).</param>
/// <remarks>
/// Weights the file stores as aligned little-endian float32 are memory-mapped, not copied, so the checkpoint stays open
/// until <see cref="Dispose"/>. <see cref="AwdLstm.Load"/> and <see cref="AwdLstmClassifier.Load"/> hand this to the
/// model, which disposes it.
/// </remarks>
internal sealed record LoadedWeights(string Path, FastaiLayout Layout, FastaiModelConfig Config, AwdLstmWeights Weights, ConversionManifest? Manifest)
    : IDisposable
{
    /// <summary>The open checkpoint that mapped weights point into.</summary>
    internal IDisposable? Owner { get; init; }

    /// <summary>Closes the checkpoint. Mapped weights become unreadable, except where a compute engine still pins them.</summary>
    public void Dispose() => Owner?.Dispose();

    /// <summary>
    /// The classifier pooling to reproduce: fastai v1 heads have Linear biases and v1's pooling, v2 heads neither
    /// (docs/fastai-layouts.md §4.5–§4.6, §6). This holds for converted files too, whose layout name no longer says.
    /// </summary>
    public ClassifierPooling Pooling => Config.HeadLinearBias ? ClassifierPooling.FastaiV1 : ClassifierPooling.FastaiV2;
}
