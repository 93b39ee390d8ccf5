using WeightPort.IO;

namespace WeightPort.Tensors;

/// <summary>
/// One storage of a checkpoint: a flat run of elements of one dtype. Several <see cref="TensorInfo"/> views may share it
/// (tied weights, cuDNN flat buffers); sharing is by reference identity of this object.
/// </summary>
internal sealed class TensorStorage
{
    /// <summary>Creates a storage of <paramref name="elementCount"/> elements in <paramref name="source"/> at <paramref name="byteOffset"/>.</summary>
    /// <exception cref="ArgumentException">The range is outside the source or does not hold a whole number of elements.</exception>
    public TensorStorage(string key, DType dtype, long elementCount, ByteSource source, long byteOffset, bool bigEndian = false, string? location = null)
    {
        long bytes = checked(elementCount * dtype.ElementSize());
        if (elementCount < 0 || !source.Contains(byteOffset, bytes))
            throw new ArgumentException($"storage '{key}' of {elementCount} {dtype.TorchName()} elements does not fit in '{source.Name}' at offset {byteOffset}");
        Key = key;
        DType = dtype;
        ElementCount = elementCount;
        Source = source;
        ByteOffset = byteOffset;
        BigEndian = bigEndian;
        Location = location;
    }

    /// <summary>The storage key as written in the file (<c>data/&lt;key&gt;</c>, the legacy pointer string, a tensor name).</summary>
    public string Key { get; }
    /// <summary>The element type.</summary>
    public DType DType { get; }
    /// <summary>Number of elements.</summary>
    public long ElementCount { get; }
    /// <summary>Number of bytes.</summary>
    public long ByteLength => ElementCount * DType.ElementSize();
    /// <summary>Where the bytes live.</summary>
    public ByteSource Source { get; }
    /// <summary>Offset of the first byte in <see cref="Source"/>.</summary>
    public long ByteOffset { get; }
    /// <summary>True when elements are stored big-endian (a zip with <c>byteorder = big</c>).</summary>
    public bool BigEndian { get; }
    /// <summary>The device location recorded by PyTorch (<c>cpu</c>, <c>cuda:0</c>), if any.</summary>
    public string? Location { get; }
}
