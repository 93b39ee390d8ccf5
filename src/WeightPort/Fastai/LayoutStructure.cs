namespace WeightPort.Fastai;

/// <summary>A placed layout: its tables, the layer count, direction, head blocks and the expanded name map.</summary>
internal sealed record LayoutStructure(
    LayoutDescriptor Descriptor,
    int Layers,
    bool Bidirectional,
    IReadOnlyList<HeadBlockIndex> Head,
    IReadOnlyDictionary<string, MappedName> Map);
