using TorchSharp.Modules;
using WeightPort.TorchSharp.Loading;
using WeightPort.TorchSharp.Native;
using WeightPort.TorchSharp.Training;
using static TorchSharp.torch;

namespace WeightPort.TorchSharp.Modules;

/// <summary>
/// fastai v2's <c>get_language_model(AWD_LSTM, …)</c>: an <see cref="AwdLstmEncoder"/> and a
/// <see cref="LinearDecoder"/> tied to its embedding. The state dict holds WeightPort's canonical names
/// (<c>encoder.weight</c>, <c>rnns.{l}.*</c>, <c>decoder.bias</c>, and <c>decoder.weight</c> only when untied), so
/// <c>Module.load(path, strict: true)</c> accepts WeightPort's default TorchSharp output, and <c>save</c> writes a
/// file that <c>weightport convert --format pth</c> turns back into a fastai-v2 checkpoint.
/// </summary>
public sealed class AwdLstmLanguageModel : nn.Module<Tensor, Tensor>
{
    private readonly AwdLstmEncoder _encoder;
    private readonly LinearDecoder _decoder;

    /// <summary>Creates a language model with fastai's initialisation.</summary>
    /// <param name="architecture">The sizes.</param>
    /// <param name="dropouts">Dropout probabilities; null for <see cref="AwdLstmDropouts.LanguageModel"/>.</param>
    /// <param name="tied">Tie the decoder to the embedding (fastai's default).</param>
    /// <param name="decoderBias">Give the decoder a bias (fastai's default).</param>
    /// <exception cref="ArgumentException">Invalid sizes or probabilities.</exception>
    /// <exception cref="TorchSharpUnavailableException">TorchSharp's native library cannot load.</exception>
    public AwdLstmLanguageModel(AwdLstmArchitecture architecture, AwdLstmDropouts? dropouts = null, bool tied = true, bool decoderBias = true)
        : this(architecture, dropouts ?? AwdLstmDropouts.LanguageModel, tied, decoderBias, ScalarType.Float32, initialize: true)
    {
    }

    internal AwdLstmLanguageModel(AwdLstmArchitecture architecture, AwdLstmDropouts dropouts, bool tied, bool decoderBias, ScalarType dtype, bool initialize)
        : base(Checked())
    {
        _encoder = new AwdLstmEncoder(architecture, dropouts, dtype, initialize);
        _decoder = new LinearDecoder(architecture.VocabSize, architecture.EmbSize, dropouts.Output, tied ? _encoder.Embedding : null, decoderBias, dtype, initialize);
        // The encoder's parts are registered here, not the encoder itself, so that names carry no extra prefix.
        foreach (var (name, module) in _encoder.Children()) register_module(name, module);
        register_module("decoder", _decoder);
    }

    /// <summary>The sizes.</summary>
    public AwdLstmArchitecture Architecture => _encoder.Architecture;

    private static string Checked()
    {
        TorchSharpRuntime.EnsureAvailable();
        return nameof(AwdLstmLanguageModel);
    }

    /// <summary>The encoder (shares its modules with this model).</summary>
    public AwdLstmEncoder Encoder => _encoder;

    /// <summary>The decoder.</summary>
    public LinearDecoder Decoder => _decoder;

    /// <summary>
    /// Loads a language model in one call: the original fastai file (WT103's legacy <c>lstm_fwd.pth</c>,
    /// <c>learn.save</c> with or without the optimizer, v0.7/v1/v2, fp16) or a converted TorchSharp or safetensors file,
    /// through WeightPort's validation (the same decisions and errors as <c>weightport convert</c>), with tensors built
    /// straight from the memory-mapped file.
    /// </summary>
    /// <param name="path">The checkpoint.</param>
    /// <param name="options">Device, dtype, dropouts, vocabulary matching; null for the defaults.</param>
    /// <exception cref="CheckpointFormatException">The file is unreadable, fails validation, a cast would be lossy without <see cref="PretrainedOptions.AllowLossyCast"/>, or it holds no language model.</exception>
    /// <exception cref="TorchSharpUnavailableException">TorchSharp's native library cannot load.</exception>
    public static AwdLstmLanguageModel FromPretrained(string path, PretrainedOptions? options = null) =>
        PretrainedLoader.LoadLanguageModel(path, options ?? new PretrainedOptions());

    /// <summary>Clears the carried hidden state (fastai's <c>reset()</c>).</summary>
    public void ResetState() => _encoder.ResetState();

    /// <summary>Logits [batch, seq, vocab] for token ids [batch, seq].</summary>
    public override Tensor forward(Tensor input)
    {
        using var hidden = _encoder.forward(input);
        return _decoder.forward(hidden);
    }

    /// <summary>Saves the encoder alone (fastai's <c>save_encoder</c>), in TorchSharp's format: <c>encoder.weight</c> and <c>rnns.*</c>.</summary>
    public void SaveEncoder(string path) => _encoder.save(path);

    /// <summary>fastai's <c>awd_lstm_lm_split</c>: one group per LSTM layer, then the embedding with the decoder.</summary>
    public LayerGroups ParameterGroups()
    {
        var groups = new List<IReadOnlyList<Parameter>>();
        foreach (var layer in _encoder.Layers) groups.Add([.. layer.parameters()]);
        // A tied decoder may list the embedding's weight again: each tensor belongs to one group once.
        groups.Add([.. _encoder.Embedding.parameters().Concat(_decoder.parameters()).DistinctBy(p => p.Handle)]);
        return new LayerGroups(groups);
    }

    /// <summary>
    /// Does nothing: every component is registered by name in the constructor. TorchSharp's default registers fields by
    /// reflection, which would list references (such as a tied embedding) a second time under field names.
    /// </summary>
    protected override void RegisterComponents()
    {
    }
}
