namespace WeightPort.Fastai;

/// <summary>
/// A layout as data: the encoder prefix, the alias tables it is made of and its head numbering. Version and kind are
/// read from here, not from the enum name.
/// </summary>
/// <param name="Layout">The layout this describes.</param>
/// <param name="EncoderPrefix">What <c>{p}</c> stands for: <c>0.</c>, <c>0.module.</c> or nothing.</param>
/// <param name="Encoder">The embedding and LSTM names.</param>
/// <param name="Decoder">The language-model decoder names (empty without a decoder).</param>
/// <param name="Head">One classifier head block's names (empty without a head).</param>
/// <param name="HeadStyle">How the head numbers its modules.</param>
/// <param name="Unsupported">Why a checkpoint that fits this descriptor is refused; null for the layouts WeightPort converts.</param>
internal sealed record LayoutDescriptor(
    FastaiLayout Layout,
    string EncoderPrefix,
    AliasEntry[] Encoder,
    AliasEntry[] Decoder,
    AliasEntry[] Head,
    HeadStyle HeadStyle,
    string? Unsupported = null)
{
    /// <summary>Every table of the layout.</summary>
    public IEnumerable<AliasEntry> Entries => Encoder.Concat(Decoder).Concat(Head);

    /// <summary>The required source name template of <paramref name="role"/> in this layout, or null when the layout has no such name.</summary>
    public string? Template(FastaiRole role)
    {
        foreach (var e in Entries) if (e.Role == role) return e.Template;
        return null;
    }
}
