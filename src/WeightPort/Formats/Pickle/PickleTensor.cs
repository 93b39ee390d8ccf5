using WeightPort.Tensors;

namespace WeightPort.Formats.Pickle;

/// <summary>
/// A tensor rebuilt by an allowlisted <c>torch._utils._rebuild_tensor*</c> / <c>_rebuild_parameter*</c> call: its storage
/// reference and view. <see cref="Tensor"/> is the validated view once the reader has bound the storage.
/// </summary>
internal sealed class PickleTensor : PickleValue
{
    private TensorInfo? _tensor;

    internal PickleTensor(PickleStorage storage, DType dtype, long storageOffset, long[] shape, long[] stride, bool requiresGrad, long offset)
    {
        StorageRef = storage;
        DType = dtype;
        StorageOffset = storageOffset;
        Shape = shape;
        Stride = stride;
        RequiresGrad = requiresGrad;
        Offset = offset;
    }

    /// <summary>The storage named by the persistent id.</summary>
    public PickleStorage StorageRef { get; }
    /// <summary>The tensor dtype (differs from the storage's only for <c>_rebuild_tensor_v3</c> on an untyped storage).</summary>
    public DType DType { get; }
    /// <summary>Storage offset in elements, as pickled.</summary>
    public long StorageOffset { get; }
    /// <summary>Sizes, as pickled.</summary>
    public IReadOnlyList<long> Shape { get; }
    /// <summary>Strides in elements, as pickled.</summary>
    public IReadOnlyList<long> Stride { get; }
    /// <summary>The pickled <c>requires_grad</c> (true for parameters that require grad).</summary>
    public bool RequiresGrad { get; internal set; }
    /// <summary>Byte offset of the REDUCE that rebuilt it.</summary>
    public long Offset { get; }

    /// <summary>The validated view.</summary>
    /// <exception cref="InvalidOperationException">Not bound yet (never the case in a returned <see cref="Checkpoint"/>).</exception>
    public TensorInfo Tensor => _tensor ?? throw new InvalidOperationException("tensor storage is not bound");

    internal void Bind(TensorInfo tensor) => _tensor = tensor;

    /// <inheritdoc />
    public override string TypeName => "tensor";

    /// <inheritdoc />
    public override string ToString() => $"tensor({DType.TorchName()}, [{string.Join(", ", Shape)}])";
}
