namespace WeightPort.Fastai;

/// <summary>
/// Where head block <paramref name="Block"/>'s modules sit: <paramref name="BnIndex"/> and <paramref name="LinearIndex"/>
/// are Sequential indices (v1: flat index; v2: index inside the block); -1 for <see cref="HeadStyle.Named"/> heads.
/// </summary>
internal readonly record struct HeadBlockIndex(int Block, int BnIndex, int LinearIndex);
