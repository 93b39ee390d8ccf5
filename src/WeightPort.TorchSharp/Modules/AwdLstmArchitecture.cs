namespace WeightPort.TorchSharp.Modules;

/// <summary>
/// The sizes of fastai's <c>AWD_LSTM(vocab_sz, emb_sz, n_hid, n_layers, pad_token, bidir)</c>: layer l reads
/// <see cref="EmbSize"/> (l = 0) or <see cref="HiddenSize"/>, and has hidden <see cref="HiddenSize"/> (or
/// <see cref="EmbSize"/> for the last layer) divided by the number of directions. The defaults are WT103's.
/// </summary>
/// <param name="VocabSize">Embedding rows.</param>
/// <param name="EmbSize">Embedding width (400 in <c>awd_lstm_lm_config</c>).</param>
/// <param name="HiddenSize">Hidden width of the inner layers (1152).</param>
/// <param name="Layers">Number of one-layer LSTMs (3).</param>
/// <param name="Bidirectional">Two directions per layer.</param>
/// <param name="PadToken">The padding index (1 in fastai's vocabularies).</param>
public sealed record AwdLstmArchitecture(int VocabSize, int EmbSize = 400, int HiddenSize = 1152, int Layers = 3, bool Bidirectional = false, int PadToken = 1)
{
    /// <summary>1, or 2 when bidirectional.</summary>
    public int Directions => Bidirectional ? 2 : 1;

    /// <summary>Input width of layer <paramref name="layer"/>.</summary>
    public int LayerInputSize(int layer) => layer == 0 ? EmbSize : HiddenSize;

    /// <summary>Hidden width per direction of layer <paramref name="layer"/>.</summary>
    public int LayerHiddenSize(int layer) => (layer == Layers - 1 ? EmbSize : HiddenSize) / Directions;

    /// <summary>Checks the sizes.</summary>
    /// <exception cref="ArgumentException">A size is not positive, the pad token lies outside the vocabulary, or a width is not divisible by the directions.</exception>
    public void Validate()
    {
        if (VocabSize <= 0 || EmbSize <= 0 || HiddenSize <= 0 || Layers <= 0)
            throw new ArgumentException($"vocabulary {VocabSize}, emb {EmbSize}, n_hid {HiddenSize} and layers {Layers} must all be positive");
        if (PadToken < 0 || PadToken >= VocabSize)
            throw new ArgumentException($"pad token {PadToken} lies outside the vocabulary of {VocabSize}");
        if (Bidirectional && (EmbSize % 2 != 0 || (Layers > 1 && HiddenSize % 2 != 0)))
            throw new ArgumentException($"a bidirectional model needs even widths, not emb {EmbSize} and n_hid {HiddenSize}");
    }
}
