using WeightPort.Formats.Pickle;
using WeightPort.Tensors;

namespace WeightPort.Formats.Torch;

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
            if (!t.StorageRef.IsBound && t.StorageRef.Root is not null) BindView(t.StorageRef);
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
            try
            {
                t.Bind(TensorInfo.Create(storage, t.StorageOffset, t.Shape, t.Stride, t.RequiresGrad));
            }
            catch (Exception e) when (e is ArgumentException or OverflowException)
            {
                throw new CheckpointFormatException(CheckpointError.StorageMismatch,
                    $"tensor on storage '{root.Key}' is invalid: {e.Message}", offset: t.Offset, key: root.Key, entry: entry);
            }
        }
    }

    /// <summary>
    /// Binds a storage view to its own <see cref="TensorStorage"/> over the root's bytes: torch gives a view its own
    /// storage object (its tensors' offsets are relative to the view), so WeightPort does too.
    /// </summary>
    public static void BindView(PickleStorage view)
    {
        var root = view.Root!.Storage;
        if (view.ViewOffset < 0 || view.ElementCount < 0 || view.ViewOffset > root.ElementCount || view.ElementCount > root.ElementCount - view.ViewOffset)
            throw new CheckpointFormatException(CheckpointError.StorageMismatch,
                $"storage view '{view.Key}' [{view.ViewOffset:N0}, +{view.ElementCount:N0}) lies outside storage '{root.Key}' of {root.ElementCount:N0} elements", key: view.Key);
        long offset = root.ByteOffset + view.ViewOffset * root.DType.ElementSize();
        view.Bind(new TensorStorage(view.Key, root.DType, view.ElementCount, root.Source, offset, root.BigEndian, root.Location));
    }
}
