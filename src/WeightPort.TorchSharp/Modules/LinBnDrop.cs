using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace WeightPort.TorchSharp.Modules;

/// <summary>
/// One block of fastai's classifier head (<c>LinBnDrop</c>): <c>BatchNorm1d(n_in)</c>, dropout p, then
/// <c>Linear(n_in, n_out)</c> (no bias in fastai v2, with a bias in v1 and v0.7). Registered names are WeightPort's
/// canonical ones: <c>bn.*</c> and <c>linear.*</c>.
/// </summary>
public sealed class LinBnDrop : nn.Module<Tensor, Tensor>
{
    private readonly BatchNorm1d _bn;
    private readonly Dropout _drop;
    private readonly Linear _linear;

    internal LinBnDrop(long inputSize, long outputSize, double p, bool linearBias, ScalarType dtype) : base(nameof(LinBnDrop))
    {
        // BatchNorm1d(dtype: …) would make num_batches_tracked that type too; PyTorch keeps it int64.
        _bn = nn.BatchNorm1d(inputSize);
        if (dtype != ScalarType.Float32)
        {
            foreach (var name in new[] { "weight", "bias" })
                _bn.register_parameter(name, Parameters.Own(new Parameter(Parameters.Own(_bn.get_parameter(name)!.to_type(dtype).detach()))));
            foreach (var name in new[] { "running_mean", "running_var" })
                _bn.register_buffer(name, Parameters.Own(_bn.get_buffer(name)!.to_type(dtype)));
        }
        using (no_grad())
        {
            // fastai's BatchNorm(): weight 1, bias 1e-3.
            using Scalar one = 1.0.ToScalar(), small = 1e-3.ToScalar();
            _bn.weight!.fill_(one);
            _bn.bias!.fill_(small);
        }
        _drop = nn.Dropout(p);
        _linear = nn.Linear(inputSize, outputSize, hasBias: linearBias, dtype: dtype);
        P = p;
        register_module("bn", _bn);
        register_module("drop", _drop);
        register_module("linear", _linear);
    }

    /// <summary>The dropout probability.</summary>
    public double P { get; }

    /// <summary>The batch norm (<c>bn</c>).</summary>
    public BatchNorm1d BatchNorm => _bn;

    /// <summary>The linear layer (<c>linear</c>).</summary>
    public Linear Linear => _linear;

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        using var normed = _bn.forward(input);
        using var dropped = _drop.forward(normed);
        return _linear.forward(dropped);
    }

    /// <summary>
    /// Does nothing: every component is registered by name in the constructor. TorchSharp's default registers fields by
    /// reflection, which would list references (such as a tied embedding) a second time under field names.
    /// </summary>
    protected override void RegisterComponents()
    {
    }
}
