using WeightPort.Pickle;
using WeightPort.Tensors;

namespace WeightPort.Torch;

/// <summary>
/// Binds rebuilt tensors to the storages a format reader located, validating each view. One <see cref="TensorStorage"/>
/// object per storage key, so tensors that share a storage in the file share it here.
/// </summary>
internal static class TensorBinder
{
    /// <param name="tensors">Tensors in pickle order.</param>
    /// <param name="entry">Where the pickle was read from, for messages.</param>
    public static void Bind(IEnumerable<PickleTensor> tensors, string entry)
    {
        var retyped = new Dictionary<(string, DType), TensorStorage>();
        foreach (var t in tensors)
        {
            var root = t.StorageRef.Storage;
            var storage = root;
            if (t.DType != root.DType)
            {
                // _rebuild_tensor_v3 on an UntypedStorage: the same bytes read as the tensor's dtype.
                if (!retyped.TryGetValue((root.Key, t.DType), out var typed))
                {
                    int es = t.DType.ElementSize();
                    if (root.ByteLength % es != 0)
                        throw new CheckpointFormatException(CheckpointError.StorageMismatch,
                            $"untyped storage '{root.Key}' of {root.ByteLength:N0} bytes is not a whole number of {t.DType.TorchName()} elements", offset: t.Offset, entry: entry);
                    typed = new TensorStorage(root.Key, t.DType, root.ByteLength / es, root.Source, root.ByteOffset, root.BigEndian, root.Location);
                    retyped.Add((root.Key, t.DType), typed);
                }
                storage = typed;
            }
            long viewOffset = t.StorageRef.ViewOffset;
            try
            {
                if (t.StorageRef.ViewSize is long viewSize)
                {
                    // Validate against the view first, as torch slices the storage before rebuilding.
                    long extent = t.StorageOffset;
                    bool empty = false;
                    for (int i = 0; i < t.Shape.Count; i++)
                    {
                        if (t.Shape[i] == 0) empty = true;
                        else extent = checked(extent + (t.Shape[i] - 1) * t.Stride[i]);
                    }
                    if (!empty && extent >= viewSize)
                        throw new ArgumentException($"view reaches element {extent:N0} of a storage view of {viewSize:N0} elements");
                }
                t.Bind(TensorInfo.Create(storage, checked(t.StorageOffset + viewOffset), t.Shape, t.Stride, t.RequiresGrad));
            }
            catch (Exception e) when (e is ArgumentException or OverflowException)
            {
                throw new CheckpointFormatException(CheckpointError.StorageMismatch,
                    $"tensor on storage '{root.Key}' is invalid: {e.Message}", offset: t.Offset, key: root.Key, entry: entry);
            }
        }
    }
}
