using WeightPort.Tensors;

namespace WeightPort.Formats.Torch.Writing;

/// <summary>One tensor as <c>data.pkl</c> describes it: a contiguous view at offset 0 of its own storage record.</summary>
/// <param name="StorageKey">The record key (<c>data/&lt;key&gt;</c>).</param>
/// <param name="DType">The storage's element type.</param>
/// <param name="ElementCount">Elements in the storage (and the tensor).</param>
/// <param name="Shape">The tensor's sizes.</param>
/// <param name="Stride">Row-major strides, as PyTorch computes them for a contiguous tensor.</param>
internal sealed record PickledTensor(string StorageKey, DType DType, long ElementCount, IReadOnlyList<long> Shape, IReadOnlyList<long> Stride);
