namespace WeightPort.TorchSharp.Modules;

/// <summary>
/// The classifier head and chunking of fastai's <c>get_text_classifier</c>: head widths
/// <c>[3·emb] + lin_ftrs + [n_class]</c>, dropouts <c>[output_p] + ps</c>, <c>seq_len</c> (bptt) and <c>max_len</c>.
/// </summary>
/// <param name="Classes">Number of classes.</param>
/// <param name="LinearFeatures">Hidden widths (fastai: [50]).</param>
/// <param name="Ps">Dropouts of the blocks after the first (fastai: [0.1]); the first block uses <see cref="AwdLstmDropouts.Output"/>.</param>
/// <param name="LinearBias">Linear layers with a bias (fastai v1 and v0.7; v2 has none).</param>
/// <param name="Bptt">Chunk length (v2: 72; v1: 70).</param>
/// <param name="MaxLength">Only the last chunks within this many tokens are pooled (fastai: 20·bptt); null keeps all.</param>
/// <param name="Semantics">Whose chunking and pooling.</param>
public sealed record ClassifierHead(int Classes, IReadOnlyList<int> LinearFeatures, IReadOnlyList<double> Ps, bool LinearBias = false,
    int Bptt = 72, int? MaxLength = 72 * 20, ClassifierSemantics Semantics = ClassifierSemantics.FastaiV2)
{
    /// <summary>fastai v2's defaults for <paramref name="classes"/> classes: lin_ftrs [50], ps [0.1], bptt 72, max_len 1440.</summary>
    public static ClassifierHead Default(int classes) => new(classes, [50], [0.1]);

    /// <summary>The head widths for embedding width <paramref name="embSize"/>.</summary>
    public IReadOnlyList<int> Sizes(int embSize) => [3 * embSize, .. LinearFeatures, Classes];

    /// <summary>Checks the sizes.</summary>
    /// <exception cref="ArgumentException">Fewer than two classes, a non-positive width, or Ps of the wrong length.</exception>
    public void Validate()
    {
        if (Classes < 1) throw new ArgumentException($"a classifier needs at least one class, not {Classes}");
        if (LinearFeatures.Any(f => f <= 0)) throw new ArgumentException("every lin_ftrs width must be positive");
        if (Ps.Count != LinearFeatures.Count)
            throw new ArgumentException($"ps has {Ps.Count} entries; it needs one per lin_ftrs width ({LinearFeatures.Count})");
        if (Bptt <= 0) throw new ArgumentException($"bptt must be positive, not {Bptt}");
    }
}
