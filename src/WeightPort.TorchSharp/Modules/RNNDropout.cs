using static TorchSharp.torch;

namespace WeightPort.TorchSharp.Modules;

/// <summary>
/// fastai's <c>RNNDropout</c>: in training, multiplies <c>x</c> [batch, seq, …] by one <see cref="DropoutMask"/> of
/// shape [batch, 1, …], so every time step of a sequence loses the same features. Identity in eval or when p = 0.
/// </summary>
public sealed class RNNDropout : nn.Module<Tensor, Tensor>
{
    /// <summary>Creates the module.</summary>
    /// <param name="p">The drop probability, in [0, 1).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="p"/> is outside [0, 1).</exception>
    public RNNDropout(double p) : base(nameof(RNNDropout))
    {
        if (p is < 0 or >= 1 || double.IsNaN(p)) throw new ArgumentOutOfRangeException(nameof(p), p, "a dropout probability must be in [0, 1)");
        P = p;
    }

    /// <summary>The drop probability.</summary>
    public double P { get; set; }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (!training || P == 0) return input.alias();
        var size = input.shape.ToArray();
        size[1] = 1;
        using var mask = DropoutMask.Create(input, size, P);
        return input * mask;
    }

    /// <summary>
    /// Does nothing: every component is registered by name in the constructor. TorchSharp's default registers fields by
    /// reflection, which would list references (such as a tied embedding) a second time under field names.
    /// </summary>
    protected override void RegisterComponents()
    {
    }
}
