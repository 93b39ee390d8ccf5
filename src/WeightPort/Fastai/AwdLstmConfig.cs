namespace WeightPort.Fastai;

/// <summary>
/// The shape of an AWD-LSTM, as fastai builds it (docs/fastai-layouts.md §3.1): layer l has input <c>EmbSize</c> for l = 0
/// else <c>HiddenSize</c>, and hidden <c>(HiddenSize, or EmbSize for the last layer) / directions</c>.
/// </summary>
public sealed record AwdLstmConfig(int VocabSize, int EmbSize, int HiddenSize, int Layers, bool Bidirectional = false, int PadToken = 1)
{
    /// <summary>1, or 2 when bidirectional.</summary>
    public int Directions => Bidirectional ? 2 : 1;

    /// <summary>Input width of layer <paramref name="layer"/>.</summary>
    public int LayerInputSize(int layer) => layer == 0 ? EmbSize : HiddenSize;

    /// <summary>Hidden width per direction of layer <paramref name="layer"/>.</summary>
    public int LayerHiddenSize(int layer) => (layer == Layers - 1 ? EmbSize : HiddenSize) / Directions;
}
