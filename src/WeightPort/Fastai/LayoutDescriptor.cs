namespace WeightPort.Fastai;

/// <summary>
/// A layout as data: the encoder prefix, the alias tables it is made of and its head numbering. Version and kind are
/// read from here, not from the enum name.
/// </summary>
internal sealed record LayoutDescriptor(
    FastaiLayout Layout,
    string EncoderPrefix,
    IReadOnlyList<AliasEntry> Encoder,
    IReadOnlyList<AliasEntry> Decoder,
    IReadOnlyList<AliasEntry> Head,
    HeadStyle HeadStyle);
