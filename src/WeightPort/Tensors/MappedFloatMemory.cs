using System.Buffers;
using System.Runtime.InteropServices;
using WeightPort.IO;

namespace WeightPort.Tensors;

/// <summary>
/// float32 elements read in place from a memory-mapped checkpoint, so a loaded model's weights live in the page cache
/// (shared with other processes and never copied) instead of in managed arrays.
/// </summary>
/// <remarks>
/// A pin keeps the mapping alive even after the checkpoint is disposed (the view's handle is reference-counted), so a
/// compute engine holding raw pointers can never read unmapped memory. Unpinned access after disposal throws
/// <see cref="ObjectDisposedException"/>.
/// </remarks>
internal sealed unsafe class MappedFloatMemory : MemoryManager<float>
{
    private static readonly bool UnalignedLoadsAreFast =
        RuntimeInformation.ProcessArchitecture is Architecture.X64 or Architecture.Arm64;

    private readonly MappedFileSource _source;
    private readonly long _byteOffset;
    private readonly int _length;

    private MappedFloatMemory(MappedFileSource source, long byteOffset, int length)
    {
        _source = source;
        _byteOffset = byteOffset;
        _length = length;
    }

    /// <summary>
    /// The tensor's elements in place when the file allows it: a mapped file, float32, little-endian and contiguous.
    /// Null otherwise (the caller copies).
    /// </summary>
    /// <remarks>
    /// Legacy checkpoints put storages at whatever offset the pickle before them ends, so their floats are usually not
    /// 4-byte aligned. x64 and Arm64 load unaligned floats (scalar and vector) at full speed, and neither the managed
    /// kernels nor OpenBLAS's copy routines assume alignment, so those are mapped as they are; elsewhere they are copied.
    /// </remarks>
    public static ReadOnlyMemory<float>? TryCreate(TensorInfo tensor)
    {
        var storage = tensor.Storage;
        if (storage.Source is not MappedFileSource mapped || mapped.Pointer == null) return null;
        if (tensor.DType != DType.Float32 || storage.BigEndian || !BitConverter.IsLittleEndian || !tensor.IsContiguous) return null;
        if (tensor.ElementCount == 0 || tensor.ElementCount > Array.MaxLength) return null;
        long offset = checked(storage.ByteOffset + tensor.StorageOffset * sizeof(float));
        bool aligned = ((nint)mapped.Pointer + offset) % sizeof(float) == 0;
        if (!aligned && !UnalignedLoadsAreFast) return null;
        return new MappedFloatMemory(mapped, offset, (int)tensor.ElementCount).Memory;
    }

    /// <summary>
    /// When <paramref name="memory"/> is read in place from a mapped file, takes its pages out of this process's
    /// resident set (they stay in the page cache and are read again from it if needed); otherwise does nothing.
    /// For an engine that has copied the weights into another form and no longer reads these.
    /// </summary>
    public static void DropResidentPages(ReadOnlyMemory<float> memory)
    {
        if (!MemoryMarshal.TryGetMemoryManager(memory, out MappedFloatMemory? _, out int _, out int length)) return;
        using var pin = memory.Pin();
        NativePages.DropFilePages((byte*)pin.Pointer, (long)length * sizeof(float));
    }

    /// <inheritdoc />
    public override Span<float> GetSpan()
    {
        var bytes = _source.GetSpan(_byteOffset, checked(_length * sizeof(float)));
        // MemoryManager<T> has no read-only form; ReadOnlyMemory is all that is handed out, and the view is read-only.
        return MemoryMarshal.CreateSpan(ref MemoryMarshal.GetReference(MemoryMarshal.Cast<byte, float>(bytes)), _length);
    }

    /// <inheritdoc />
    public override MemoryHandle Pin(int elementIndex = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(elementIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(elementIndex, _length);
        byte* start = _source.AddPin();
        return new MemoryHandle((float*)(start + _byteOffset) + elementIndex, default, this);
    }

    /// <inheritdoc />
    public override void Unpin() => _source.RemovePin();

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        // The mapping belongs to the checkpoint; nothing to release per tensor.
    }
}
