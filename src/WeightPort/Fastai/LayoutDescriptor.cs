namespace WeightPort.Fastai;

/// <summary>
/// A layout as data: the encoder prefix, the alias tables it is made of and its head numbering. Version and kind are
/// read from here, not from the enum name.
/// </summary>
internal sealed record LayoutDescriptor(
    FastaiLayout Layout,
    string EncoderPrefix,
    AliasEntry[] Encoder,
    AliasEntry[] Decoder,
    AliasEntry[] Head,
    HeadStyle HeadStyle);
