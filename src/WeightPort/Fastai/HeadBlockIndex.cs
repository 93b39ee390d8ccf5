namespace WeightPort.Fastai;

/// <summary>
/// Where head block <paramref name="Block"/>'s modules sit: <paramref name="BatchNorm"/> and <paramref name="Linear"/>
/// are Sequential indices (v1: in the flat Sequential; v2: inside the block), null for heads whose modules have names.
/// </summary>
internal readonly record struct HeadBlockIndex(int Block, int? BatchNorm = null, int? Linear = null);
