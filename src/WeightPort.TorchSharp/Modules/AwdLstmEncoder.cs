using TorchSharp.Modules;
using WeightPort.TorchSharp.Native;
using static TorchSharp.torch;

namespace WeightPort.TorchSharp.Modules;

/// <summary>
/// fastai v2's <c>AWD_LSTM</c>: an embedding with <see cref="EmbeddingDropout"/>, <see cref="RNNDropout"/> on the
/// input and between layers, and one <see cref="WeightDroppedLstm"/> per layer. Its state dict holds WeightPort's
/// canonical names: <c>encoder.weight</c> and <c>rnns.{l}.weight_ih_l0</c> … (no <c>encoder_dp</c> alias, no
/// <c>_raw</c> suffix). It is stateful as fastai's is: the final (h, c) of each layer is kept, detached, for the next
/// call (truncated BPTT); <see cref="ResetState"/> clears it; a batch-size change keeps the first rows or appends
/// zero rows (fastai v2's <c>_change_hidden</c>).
/// </summary>
public sealed class AwdLstmEncoder : nn.Module<Tensor, Tensor>
{
    private readonly Embedding _encoder;
    private readonly EmbeddingDropout _encoderDp;
    private readonly ModuleList<WeightDroppedLstm> _rnns;
    private readonly RNNDropout _inputDp;
    private readonly ModuleList<RNNDropout> _hiddenDps;
    private (Tensor H, Tensor C)[]? _hidden;
    private long _batchSize = 1;

    /// <summary>Creates an encoder with fastai's initialisation (embedding uniform in ±0.1).</summary>
    /// <param name="architecture">The sizes.</param>
    /// <param name="dropouts">Dropout probabilities (<see cref="AwdLstmDropouts.Output"/> is not used here); null for <see cref="AwdLstmDropouts.LanguageModel"/>.</param>
    /// <exception cref="ArgumentException">Invalid sizes or probabilities.</exception>
    /// <exception cref="TorchSharpUnavailableException">TorchSharp's native library cannot load.</exception>
    public AwdLstmEncoder(AwdLstmArchitecture architecture, AwdLstmDropouts? dropouts = null)
        : this(architecture, dropouts ?? AwdLstmDropouts.LanguageModel, ScalarType.Float32, initialize: true)
    {
    }

    internal AwdLstmEncoder(AwdLstmArchitecture architecture, AwdLstmDropouts dropouts, ScalarType dtype, bool initialize)
        : base(Checked(architecture, dropouts))
    {
        Architecture = architecture;
        var a = architecture;
        _encoder = nn.Embedding(a.VocabSize, a.EmbSize, padding_idx: a.PadToken, dtype: dtype);
        if (initialize)
        {
            using var _ = no_grad();
            _encoder.weight!.uniform_(-0.1, 0.1);
        }
        _encoderDp = new EmbeddingDropout(_encoder, dropouts.Embedding, a.PadToken);
        _rnns = new ModuleList<WeightDroppedLstm>();
        for (int l = 0; l < a.Layers; l++)
            _rnns.Add(new WeightDroppedLstm(a.LayerInputSize(l), a.LayerHiddenSize(l), a.Bidirectional, dropouts.Weight, dtype, initialize));
        _inputDp = new RNNDropout(dropouts.Input);
        _hiddenDps = new ModuleList<RNNDropout>();
        for (int l = 0; l < a.Layers; l++) _hiddenDps.Add(new RNNDropout(dropouts.Hidden));
        foreach (var (name, module) in Children()) register_module(name, module);
    }

    /// <summary>The sizes.</summary>
    public AwdLstmArchitecture Architecture { get; }

    /// <summary>The embedding (<c>encoder</c>).</summary>
    public Embedding Embedding => _encoder;

    /// <summary>The embedding dropout (<c>encoder_dp</c>).</summary>
    public EmbeddingDropout EmbeddingDropout => _encoderDp;

    /// <summary>The LSTM layers (<c>rnns</c>).</summary>
    public IReadOnlyList<WeightDroppedLstm> Layers => [.. _rnns];

    /// <summary>The dropout after the embedding (<c>input_dp</c>).</summary>
    public RNNDropout InputDropout => _inputDp;

    /// <summary>The dropouts after each layer (<c>hidden_dps</c>; the last one is not applied, as in fastai).</summary>
    public IReadOnlyList<RNNDropout> HiddenDropouts => [.. _hiddenDps];

    /// <summary>The batch size the hidden state has.</summary>
    public long BatchSize => _batchSize;

    /// <summary>The carried (h, c) per layer, each [directions, batch, hidden]; null after <see cref="ResetState"/> (zeros).</summary>
    public IReadOnlyList<(Tensor H, Tensor C)>? State => _hidden;

    /// <summary>Clears the carried hidden state (fastai's <c>reset()</c>): the next call starts from zeros.</summary>
    public void ResetState()
    {
        if (_hidden is not null)
            foreach (var (h, c) in _hidden)
            {
                h.Dispose();
                c.Dispose();
            }
        _hidden = null;
    }

    /// <summary>Runs the encoder on token ids [batch, seq] (int64); returns the last layer's output [batch, seq, emb].</summary>
    public override Tensor forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.dim() != 2) throw new ArgumentException($"expected token ids [batch, seq], got [{string.Join(", ", input.shape)}]", nameof(input));
        long bs = input.shape[0];
        if (bs != _batchSize) ChangeBatchSize(bs);
        using var scope = NewDisposeScope();
        var x = _inputDp.forward(_encoderDp.forward(input));
        var next = new (Tensor H, Tensor C)[_rnns.Count];
        for (int l = 0; l < _rnns.Count; l++)
        {
            (Tensor H, Tensor C)? state = _hidden is { } hid && SameKind(hid[l].H, x) ? hid[l] : null;
            var (output, h, c) = _rnns[l].forward(x, state);
            next[l] = (h.detach().DetachFromDisposeScope(), c.detach().DetachFromDisposeScope());
            x = l != _rnns.Count - 1 ? _hiddenDps[l].forward(output) : output;
        }
        ResetState();
        _hidden = next;
        return x.MoveToOuterDisposeScope();
    }

    private static bool SameKind(Tensor state, Tensor x) => state.dtype == x.dtype && state.device_type == x.device_type && state.device_index == x.device_index;

    private void ChangeBatchSize(long bs)
    {
        if (_hidden is { } hidden)
        {
            var changed = new (Tensor H, Tensor C)[hidden.Length];
            for (int l = 0; l < hidden.Length; l++)
                changed[l] = (Resize(hidden[l].H, bs), Resize(hidden[l].C, bs));
            ResetState();
            _hidden = changed;
        }
        _batchSize = bs;
    }

    private Tensor Resize(Tensor t, long bs)
    {
        if (bs > _batchSize)
        {
            using var zeros = t.new_zeros(t.shape[0], bs - _batchSize, t.shape[2]);
            return cat([t, zeros], 1);
        }
        using var part = t.narrow(1, 0, bs);
        return part.contiguous().clone();
    }

    internal IEnumerable<(string Name, nn.Module Module)> Children()
    {
        yield return ("encoder", _encoder);
        yield return ("encoder_dp", _encoderDp);
        yield return ("rnns", _rnns);
        yield return ("input_dp", _inputDp);
        yield return ("hidden_dps", _hiddenDps);
    }

    private static string Checked(AwdLstmArchitecture architecture, AwdLstmDropouts dropouts)
    {
        ArgumentNullException.ThrowIfNull(architecture);
        ArgumentNullException.ThrowIfNull(dropouts);
        architecture.Validate();
        dropouts.Validate();
        TorchSharpRuntime.EnsureAvailable();
        return nameof(AwdLstmEncoder);
    }

    /// <summary>
    /// Does nothing: every component is registered by name in the constructor. TorchSharp's default registers fields by
    /// reflection, which would list references (such as a tied embedding) a second time under field names.
    /// </summary>
    protected override void RegisterComponents()
    {
    }
}
