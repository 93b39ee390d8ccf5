using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace WeightPort.TorchSharp.Modules;

/// <summary>
/// fastai's <c>EmbeddingDropout</c>: in training with p &gt; 0, a <see cref="DropoutMask"/> of shape [vocab, 1]
/// multiplies the embedding matrix, so whole rows (words) are zeroed and the others scaled by 1/(1 − p), then the
/// tokens are looked up. The padding row receives no gradient, as with <c>F.embedding(…, padding_idx)</c>. In eval
/// it is the wrapped embedding's plain lookup. The embedding is not registered here: its weight belongs to the owner.
/// </summary>
public sealed class EmbeddingDropout : nn.Module<Tensor, Tensor>
{
    private readonly Embedding _embedding;
    private readonly long _padToken;

    /// <summary>Wraps <paramref name="embedding"/>.</summary>
    /// <param name="embedding">The embedding whose weight is looked up (fastai's <c>encoder</c>).</param>
    /// <param name="p">The probability of dropping a word, in [0, 1).</param>
    /// <param name="padToken">The padding index (no gradient flows to its row).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="p"/> is outside [0, 1).</exception>
    public EmbeddingDropout(Embedding embedding, double p, long padToken) : base(nameof(EmbeddingDropout))
    {
        ArgumentNullException.ThrowIfNull(embedding);
        if (p is < 0 or >= 1 || double.IsNaN(p)) throw new ArgumentOutOfRangeException(nameof(p), p, "a dropout probability must be in [0, 1)");
        _embedding = embedding;
        _padToken = padToken;
        P = p;
    }

    /// <summary>The probability of dropping a word.</summary>
    public double P { get; set; }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (!training || P == 0) return _embedding.forward(input);
        using var scope = NewDisposeScope();
        var weight = _embedding.weight!;
        var mask = DropoutMask.Create(weight, [weight.shape[0], 1], P);
        var masked = weight * mask;
        var flat = masked.index_select(0, input.flatten());
        var shape = input.shape.Append(weight.shape[1]).ToArray();
        var looked = flat.view(shape);
        // F.embedding(padding_idx=pad) gives the pad row no gradient; positions holding the pad token pass values only.
        using Scalar pad = _padToken.ToScalar();
        var isPad = input.eq(pad).unsqueeze(-1);
        return where(isPad, looked.detach(), looked).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Does nothing: every component is registered by name in the constructor. TorchSharp's default registers fields by
    /// reflection, which would list references (such as a tied embedding) a second time under field names.
    /// </summary>
    protected override void RegisterComponents()
    {
    }
}
