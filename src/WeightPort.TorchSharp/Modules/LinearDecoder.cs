using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace WeightPort.TorchSharp.Modules;

/// <summary>
/// fastai's <c>LinearDecoder</c>: <see cref="RNNDropout"/>(output_p), then a linear layer to the vocabulary. A tied
/// decoder uses the embedding's weight and registers only <c>bias</c>, so the tied matrix appears once in the state
/// dict (as <c>encoder.weight</c>); an untied one registers <c>weight</c> too.
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
            var w = empty([vocabSize, inputSize], dtype);
            if (initialize)
            {
                using var _ = no_grad();
                w.uniform_(-0.1, 0.1);
            }
            register_parameter("weight", new Parameter(w));
        }
        if (bias) register_parameter("bias", new Parameter(zeros(vocabSize, dtype)));
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

    /// <summary>
    /// Does nothing: every component is registered by name in the constructor. TorchSharp's default registers fields by
    /// reflection, which would list references (such as a tied embedding) a second time under field names.
    /// </summary>
    protected override void RegisterComponents()
    {
    }
}
