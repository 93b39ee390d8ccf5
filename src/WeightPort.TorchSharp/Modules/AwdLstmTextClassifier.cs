using TorchSharp;
using TorchSharp.Modules;
using WeightPort.TorchSharp.Loading;
using WeightPort.TorchSharp.Native;
using WeightPort.TorchSharp.Training;
using static TorchSharp.torch;

namespace WeightPort.TorchSharp.Modules;

/// <summary>
/// fastai's <c>get_text_classifier(AWD_LSTM, …)</c>: a <see cref="SentenceEncoder"/> over an
/// <see cref="AwdLstmEncoder"/>, then a <see cref="PoolingLinearClassifier"/>. State-dict names are WeightPort's
/// canonical ones: <c>encoder.weight</c>, <c>rnns.{l}.*</c>, <c>head.{k}.bn.*</c>, <c>head.{k}.linear.*</c>.
/// </summary>
public sealed class AwdLstmTextClassifier : nn.Module<Tensor, Tensor>
{
    private readonly AwdLstmEncoder _encoder;
    private readonly SentenceEncoder _sentence;
    private readonly PoolingLinearClassifier _head;

    /// <summary>Creates a classifier with fastai's initialisation.</summary>
    /// <param name="architecture">The encoder's sizes.</param>
    /// <param name="head">Classes, head widths and dropouts, chunking.</param>
    /// <param name="dropouts">Dropout probabilities; null for <see cref="AwdLstmDropouts.Classifier"/>.</param>
    /// <exception cref="ArgumentException">Invalid sizes or probabilities.</exception>
    /// <exception cref="TorchSharpUnavailableException">TorchSharp's native library cannot load.</exception>
    public AwdLstmTextClassifier(AwdLstmArchitecture architecture, ClassifierHead head, AwdLstmDropouts? dropouts = null)
        : this(architecture, head, dropouts ?? AwdLstmDropouts.Classifier, ScalarType.Float32, initialize: true)
    {
    }

    internal AwdLstmTextClassifier(AwdLstmArchitecture architecture, ClassifierHead head, AwdLstmDropouts dropouts, ScalarType dtype, bool initialize)
        : base(Checked(head))
    {
        Head = head;
        _encoder = new AwdLstmEncoder(architecture, dropouts, dtype, initialize);
        _sentence = new SentenceEncoder(_encoder, head.Bptt, head.MaxLength, head.Semantics);
        _head = new PoolingLinearClassifier(head.Sizes(architecture.EmbSize), [dropouts.Output, .. head.Ps], head.LinearBias, head.Bptt, head.Semantics, dtype);
        foreach (var (name, module) in _encoder.Children()) register_module(name, module);
        register_module("head", _head);
    }

    /// <summary>The encoder's sizes.</summary>
    public AwdLstmArchitecture Architecture => _encoder.Architecture;

    /// <summary>The head's configuration.</summary>
    public ClassifierHead Head { get; }

    /// <summary>The encoder (shares its modules with this model).</summary>
    public AwdLstmEncoder Encoder => _encoder;

    /// <summary>The chunking sentence encoder.</summary>
    public SentenceEncoder SentenceEncoder => _sentence;

    /// <summary>The pooling head.</summary>
    public PoolingLinearClassifier Classifier => _head;

    /// <summary>
    /// Loads a classifier in one call: a fastai v0.7/v1/v2 classifier file (fp16 ones too) or a converted TorchSharp or
    /// safetensors file. The head's widths come from the file; <paramref name="options"/> sets chunking, dropouts,
    /// dtype and device (v1 files default to <see cref="ClassifierSemantics.FastaiV1"/> with bptt 70).
    /// </summary>
    /// <exception cref="CheckpointFormatException">The file is unreadable, fails validation, a cast would be lossy, or it holds no classifier.</exception>
    /// <exception cref="TorchSharpUnavailableException">TorchSharp's native library cannot load.</exception>
    public static AwdLstmTextClassifier FromPretrained(string path, PretrainedOptions? options = null) =>
        PretrainedLoader.LoadClassifier(path, options ?? new PretrainedOptions());

    /// <summary>
    /// A new classifier around the encoder weights of <paramref name="path"/> (fastai's <c>load_encoder</c>): a file
    /// from <see cref="AwdLstmLanguageModel.SaveEncoder"/> or fastai's <c>save_encoder</c>, or a whole language model
    /// (its decoder is ignored). The head starts from fastai's initialisation.
    /// </summary>
    /// <exception cref="CheckpointFormatException">The file is unreadable, fails validation, or holds no AWD-LSTM encoder.</exception>
    /// <exception cref="TorchSharpUnavailableException">TorchSharp's native library cannot load.</exception>
    public static AwdLstmTextClassifier FromEncoder(string path, ClassifierHead head, PretrainedOptions? options = null) =>
        PretrainedLoader.LoadClassifierFromEncoder(path, head, options ?? new PretrainedOptions());

    /// <summary>A new classifier whose encoder starts as a copy of <paramref name="languageModel"/>'s (the language model is not shared).</summary>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static AwdLstmTextClassifier FromLanguageModel(AwdLstmLanguageModel languageModel, ClassifierHead head, AwdLstmDropouts? dropouts = null)
    {
        ArgumentNullException.ThrowIfNull(languageModel);
        ArgumentNullException.ThrowIfNull(head);
        var source = languageModel.Encoder;
        var dtype = source.Embedding.weight!.dtype;
        var classifier = new AwdLstmTextClassifier(source.Architecture, head, dropouts ?? AwdLstmDropouts.Classifier, dtype, initialize: false);
        classifier.InitializeHead();
        var from = source.state_dict();
        using (no_grad())
        {
            foreach (var (name, tensor) in classifier.Encoder.state_dict()) tensor.copy_(from[name]);
        }
        return classifier.to(source.Embedding.weight!.device);
    }

    /// <summary>Class logits [batch, classes] for token ids [batch, seq] (padded as fastai pads: see <see cref="Text.TextBatches.PadChunks"/>).</summary>
    public override Tensor forward(Tensor input)
    {
        var (output, mask) = _sentence.Encode(input);
        using (output)
        using (mask)
            return _head.forward(output, mask);
    }

    /// <summary>fastai's <c>awd_lstm_clas_split</c>: the embedding, one group per LSTM layer, then the head.</summary>
    public LayerGroups ParameterGroups()
    {
        var groups = new List<IReadOnlyList<Parameter>> { (IReadOnlyList<Parameter>)[.. _encoder.Embedding.parameters()] };
        foreach (var layer in _encoder.Layers) groups.Add([.. layer.parameters()]);
        groups.Add([.. _head.parameters()]);
        return new LayerGroups(groups);
    }

    internal void InitializeHead()
    {
        // nn.Linear's own initialisation, and fastai's BatchNorm (weight 1, bias 1e-3, fresh statistics).
        using var _ = no_grad();
        using Scalar one = 1.0.ToScalar(), small = 1e-3.ToScalar();
        foreach (var block in _head.Blocks)
        {
            var w = block.Linear.weight!;
            double bound = 1 / Math.Sqrt(w.shape[1]);
            nn.init.kaiming_uniform_(w, Math.Sqrt(5));
            block.Linear.bias?.uniform_(-bound, bound);
            block.BatchNorm.weight!.fill_(one);
            block.BatchNorm.bias!.fill_(small);
            block.BatchNorm.reset_running_stats();
        }
    }

    private static string Checked(ClassifierHead head)
    {
        ArgumentNullException.ThrowIfNull(head);
        head.Validate();
        TorchSharpRuntime.EnsureAvailable();
        return nameof(AwdLstmTextClassifier);
    }

    /// <summary>
    /// Does nothing: every component is registered by name in the constructor. TorchSharp's default registers fields by
    /// reflection, which would list references (such as a tied embedding) a second time under field names.
    /// </summary>
    protected override void RegisterComponents()
    {
    }
}
