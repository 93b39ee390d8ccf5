using WeightPort.Tensors;

namespace WeightPort.Formats;

/// <summary>A tensor and its dotted path in the checkpoint (<c>model.0.encoder.weight</c> for nested dicts, list indices as numbers).</summary>
/// <param name="Path">The dotted path.</param>
/// <param name="Tensor">The tensor view.</param>
public sealed record NamedTensor(string Path, TensorInfo Tensor);
