namespace WeightPort.Fastai;

/// <summary>The model tensors indexed by (role, layer or block), after placement.</summary>
internal sealed class PlacedTensors
{
    private readonly Dictionary<(FastaiRole Role, int Index), SourceTensor> _byRole = [];

    public PlacedTensors(LayoutStructure structure, IEnumerable<SourceTensor> tensors)
    {
        Structure = structure;
        foreach (var t in tensors)
        {
            var m = structure.Map[t.Key];
            _byRole[(m.Role, m.Index)] = t;
        }
    }

    public LayoutStructure Structure { get; }

    public SourceTensor? Find(FastaiRole role, int index = 0) => _byRole.GetValueOrDefault((role, index));

    public SourceTensor Get(FastaiRole role, int index = 0) =>
        Find(role, index) ?? throw new InvalidOperationException($"placed layout lacks {role} {index}");
}
