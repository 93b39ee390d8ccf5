using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace WeightPort.TorchSharp.Modules;

/// <summary>
/// fastai's <c>LinearDecoder</c>: <see cref="RNNDropout"/>(output_p), then a linear layer to the vocabulary. A tied
/// decoder uses the embedding's weight and registers only <c>bias</c>, so the tied matrix appears once in the state
/// dict (as <c>encoder.weight</c>); an untied one registers <c>weight</c> too. A tied decoder without a bias
/// registers the embedding's weight as <c>weight</c> as well, as WeightPort's canonical files list it (else nothing
/// in a state dict would show that the model has a decoder); it stays one tensor.
/// </summary>
public sealed class LinearDecoder : nn.Module<Tensor, Tensor>
{
    private readonly Embedding? _tiedTo;
    private readonly RNNDropout _outputDp;

    internal LinearDecoder(long vocabSize, long inputSize, double outputP, Embedding? tiedTo, bool bias, ScalarType dtype, bool initialize)
        : base(nameof(LinearDecoder))
    {
        _tiedTo = tiedTo;
        _outputDp = new RNNDropout(outputP);
        register_module("output_dp", _outputDp);
        if (tiedTo is null)
        {
            register_parameter("weight", Parameters.Create([vocabSize, inputSize], dtype, initialize ? w => w.uniform_(-0.1, 0.1) : null));
        }
        else if (!bias)
        {
            register_parameter("weight", tiedTo.weight!);
        }
        if (bias) register_parameter("bias", Parameters.Create([vocabSize], dtype, b => b.zero_()));
    }

    /// <summary>True when the weight is the embedding's.</summary>
    public bool IsTied => _tiedTo is not null;

    /// <summary>True when the decoder has a bias.</summary>
    public bool HasBias => get_parameter("bias") is not null;

    /// <summary>The output dropout (<c>output_dp</c>).</summary>
    public RNNDropout OutputDropout => _outputDp;

    /// <summary>The decoder matrix [vocab, emb]: the embedding's weight when tied.</summary>
    public Tensor Weight => _tiedTo is { } e ? e.weight! : get_parameter("weight")!;

    /// <summary>Decodes [batch, seq, emb] into logits [batch, seq, vocab].</summary>
    public override Tensor forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        using var dropped = _outputDp.forward(input);
        return F.linear(dropped, Weight, get_parameter("bias"));
    }

    /// <summary>Re-ties a registered tied weight after a device or dtype move, which converts each module's parameters on its own.</summary>
    protected override void _toEpilog(ScalarType? dtype, Device? device, bool non_blocking)
    {
        base._toEpilog(dtype, device, non_blocking);
        if (_tiedTo is not null && get_parameter("weight") is not null) ConditionallyRegisterParameter("weight", _tiedTo.weight!);
    }

    /// <summary>
    /// Does nothing: every component is registered by name in the constructor. TorchSharp's default registers fields by
    /// reflection, which would list references (such as a tied embedding) a second time under field names.
    /// </summary>
    protected override void RegisterComponents()
    {
    }
}
