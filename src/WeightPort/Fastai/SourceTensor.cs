using WeightPort.Tensors;

namespace WeightPort.Fastai;

/// <summary>A tensor of the model part: its key after unwrapping (<c>0.encoder.weight</c>) and its path in the file (<c>model.0.encoder.weight</c>).</summary>
internal sealed record SourceTensor(string Key, string SourcePath, TensorInfo Tensor);
