namespace WeightPort.Fastai;

/// <summary>How far a checkpoint's keys are from a layout: what the layout would explain, and what does not fit.</summary>
/// <param name="Descriptor">The layout tried.</param>
/// <param name="Layers">LSTM layers found under the layout's prefix (0: none, so nothing else was tried).</param>
/// <param name="Bidirectional">Whether reverse-direction keys were found.</param>
/// <param name="HeadBlocks">Classifier head blocks found.</param>
/// <param name="Explained">Keys the layout's names account for.</param>
/// <param name="Unexpected">Keys the layout has no name for, sorted.</param>
/// <param name="Missing">Required names the checkpoint lacks, sorted.</param>
internal sealed record LayoutMismatch(LayoutDescriptor Descriptor, int Layers, bool Bidirectional, int HeadBlocks, int Explained,
    IReadOnlyList<string> Unexpected, IReadOnlyList<string> Missing)
{
    /// <summary>Keys to add or remove to fit; the smallest picks the layout an error message talks about.</summary>
    public int Distance => Layers == 0 ? int.MaxValue : Unexpected.Count + Missing.Count;

    /// <summary>The refusal, naming the layout, its shape and the keys that do not fit.</summary>
    public CheckpointFormatException ToException() => new(CheckpointError.InvalidContent, DecisionMessages.LayoutMismatch(this),
        key: Unexpected.Count > 0 ? Unexpected[0] : Missing.Count > 0 ? Missing[0] : null);
}
