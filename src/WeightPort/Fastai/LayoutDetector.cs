using WeightPort.Tensors;

namespace WeightPort.Fastai;

/// <summary>
/// Recognises a layout (docs/fastai-layouts.md §1.3) by trying each descriptor of <see cref="FastaiNameMap"/> in turn: the first whose names account
/// for every key, and whose required names are all present, is the layout.
/// </summary>
internal static class LayoutDetector
{
    /// <summary>
    /// The placed layout, or null when nothing in the keys is a fastai name (the checkpoint is kept as it is).
    /// </summary>
    /// <exception cref="CheckpointFormatException">
    /// fastai names that fit no layout (the closest one's unexpected and missing keys are listed), or a layout that is
    /// recognised in order to be refused.
    /// </exception>
    public static LayoutStructure? Detect(IReadOnlyDictionary<string, TensorInfo> tensors)
    {
        LayoutMismatch? closest = null;
        foreach (var d in FastaiNameMap.Layouts)
        {
            var (structure, mismatch) = LayoutPlacement.TryPlace(d, tensors);
            if (structure is not null) return structure;
            if (closest is null || mismatch!.Distance < closest.Distance) closest = mismatch;
        }
        // A layout recognised in order to be refused: it fits, or fits better than any supported one.
        foreach (var d in FastaiNameMap.UnsupportedLayouts)
        {
            var (structure, mismatch) = LayoutPlacement.TryPlace(d, tensors);
            if (structure is not null || (mismatch!.Distance < closest!.Distance))
                throw new CheckpointFormatException(CheckpointError.InvalidContent, DecisionMessages.UnsupportedLayout(d));
        }
        if (closest is { Explained: > 0 }) throw closest.ToException();
        var underPrefix = tensors.Keys.Where(FastaiNameMap.IsFastaiNameUnderAnyPrefix).Order(StringComparer.Ordinal).ToList();
        if (underPrefix.Count > 0)
            throw new CheckpointFormatException(CheckpointError.InvalidContent, DecisionMessages.FastaiNamesUnderUnknownPrefix(underPrefix), key: underPrefix[0]);
        return null;
    }
}
