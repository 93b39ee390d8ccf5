namespace WeightPort.Fastai;

/// <summary>An expanded alias: the role, the layer (or head block) index, and whether the name must be present.</summary>
internal readonly record struct MappedName(FastaiRole Role, int Index, AliasPresence Presence);
