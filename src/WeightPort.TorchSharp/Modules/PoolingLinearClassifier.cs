using TorchSharp;
using static TorchSharp.torch;

namespace WeightPort.TorchSharp.Modules;

/// <summary>
/// fastai's <c>PoolingLinearClassifier</c>: masked concat pooling of the encoder's outputs into
/// <c>[last, max, mean]</c> (3·emb wide), then <see cref="LinBnDrop"/> blocks with ReLU between them. Its blocks are
/// registered as <c>0</c>, <c>1</c>, … so that names read <c>head.{k}.bn.*</c> / <c>head.{k}.linear.*</c>.
/// </summary>
public sealed class PoolingLinearClassifier : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly LinBnDrop[] _blocks;

    internal PoolingLinearClassifier(IReadOnlyList<int> sizes, IReadOnlyList<double> ps, bool linearBias, long bptt, ClassifierSemantics semantics, ScalarType dtype)
        : base(nameof(PoolingLinearClassifier))
    {
        _blocks = new LinBnDrop[sizes.Count - 1];
        for (int k = 0; k < _blocks.Length; k++)
        {
            _blocks[k] = new LinBnDrop(sizes[k], sizes[k + 1], ps[k], linearBias, dtype);
            register_module(k.ToString(System.Globalization.CultureInfo.InvariantCulture), _blocks[k]);
        }
        Bptt = bptt;
        Semantics = semantics;
    }

    /// <summary>The head's blocks.</summary>
    public IReadOnlyList<LinBnDrop> Blocks => _blocks;

    /// <summary>The chunk length the pooling uses to find the last real token (v2).</summary>
    public long Bptt { get; }

    /// <summary>Whose pooling this is.</summary>
    public ClassifierSemantics Semantics { get; }

    /// <summary>Class logits [batch, classes] from encoder outputs [batch, seq, emb] and the padding mask [batch, seq].</summary>
    public override Tensor forward(Tensor output, Tensor mask)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(mask);
        using var scope = NewDisposeScope();
        var x = Semantics == ClassifierSemantics.FastaiV2 ? PoolV2(output, mask, Bptt) : PoolV1(output, mask);
        for (int k = 0; k < _blocks.Length; k++)
        {
            x = _blocks[k].forward(x);
            if (k < _blocks.Length - 1) x = nn.functional.relu(x);
        }
        return x.MoveToOuterDisposeScope();
    }

    /// <summary>fastai v2's <c>masked_concat_pool(output, mask, bptt)</c>.</summary>
    public static Tensor PoolV2(Tensor output, Tensor mask, long bptt)
    {
        using var scope = NewDisposeScope();
        // Every number is a Scalar held until the call returns (see Scalars).
        using Scalar zero = 0.ToScalar(), minusInfinity = double.NegativeInfinity.ToScalar();
        using Scalar width = output.shape[1].ToScalar(), lastColumn = (output.shape[1] - 1).ToScalar(), batch = output.shape[0].ToScalar();
        var m3 = mask.unsqueeze(-1);
        var lens = mask.to_type(ScalarType.Int64).sum(1).neg().add(width, Scalars.One);
        var lastLens = mask.narrow(1, Math.Max(0, mask.shape[1] - bptt), Math.Min(bptt, mask.shape[1])).to_type(ScalarType.Int64).sum(1);
        var avg = output.masked_fill(m3, zero).sum(1).div(lens.to_type(output.dtype).unsqueeze(1));
        var max = output.masked_fill(m3, minusInfinity).max(1).values;
        var rows = arange(batch, device: output.device);
        var lastIndex = lastLens.neg().add(lastColumn, Scalars.One);
        var last = output.index(rows, lastIndex);
        return cat([last, max, avg], 1).MoveToOuterDisposeScope();
    }

    /// <summary>fastai 1.x's <c>masked_concat_pool(outputs, mask)</c> (≥ 1.0.47).</summary>
    public static Tensor PoolV1(Tensor output, Tensor mask)
    {
        using var scope = NewDisposeScope();
        long length = output.shape[1];
        using Scalar zero = 0.ToScalar(), minusInfinity = double.NegativeInfinity.ToScalar(), lengthScalar = length.ToScalar();
        var m3 = mask.unsqueeze(-1);
        var avg = output.masked_fill(m3, zero).mean([1]);
        var pads = mask.to_type(avg.dtype).sum(1);
        // avg · length / (length − pads)
        avg = avg * pads.neg().add(lengthScalar, Scalars.One).reciprocal().mul(lengthScalar).unsqueeze(1);
        var max = output.masked_fill(m3, minusInfinity).max(1).values;
        var last = output.select(1, length - 1);
        return cat([last, max, avg], 1).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Does nothing: every component is registered by name in the constructor. TorchSharp's default registers fields by
    /// reflection, which would list references (such as a tied embedding) a second time under field names.
    /// </summary>
    protected override void RegisterComponents()
    {
    }
}
