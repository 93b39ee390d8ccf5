using WeightPort.Tensors;

namespace WeightPort.Fastai;

/// <summary>
/// Reads a tensor front to back in row-major order, a chunk at a time, so that two 96 MB matrices can be compared
/// without materialising either. Contiguous views read straight from the (memory-mapped) source; a strided view is
/// gathered once, since fastai checkpoints hold contiguous views (cuDNN flat buffers included).
/// </summary>
internal sealed class TensorChunkReader
{
    /// <summary>Elements per chunk used by the comparisons: 256 KiB of float32.</summary>
    public const int ChunkElements = 1 << 16;

    private readonly TensorInfo _tensor;
    private readonly int _elementSize;
    private readonly byte[]? _gathered;
    private byte[] _scratch = [];
    private long _position;

    public TensorChunkReader(TensorInfo tensor)
    {
        _tensor = tensor;
        _elementSize = tensor.DType.ElementSize();
        if (!tensor.IsContiguous) _gathered = tensor.ToByteArray();
    }

    /// <summary>Elements read so far.</summary>
    public long Position => _position;

    /// <summary>Elements left.</summary>
    public long Remaining => _tensor.ElementCount - _position;

    /// <summary>Reads up to <c>destination.Length / elementSize</c> elements as little-endian bytes; returns the element count.</summary>
    public int ReadBytes(Span<byte> destination)
    {
        int n = (int)Math.Min(Remaining, destination.Length / _elementSize);
        if (n == 0) return 0;
        int bytes = n * _elementSize;
        var dst = destination[..bytes];
        if (_gathered is not null)
        {
            _gathered.AsSpan(checked((int)(_position * _elementSize)), bytes).CopyTo(dst);
        }
        else
        {
            long start = checked(_tensor.Storage.ByteOffset + (_tensor.StorageOffset + _position) * _elementSize);
            _tensor.Storage.Source.Read(start, dst);
            if (_tensor.Storage.BigEndian) ByteOrder.SwapInPlace(dst, _tensor.DType.SwapUnit());
        }
        _position += n;
        return n;
    }

    /// <summary>Reads up to <c>destination.Length</c> elements converted to float32; returns the element count.</summary>
    public int ReadFloat32(Span<float> destination)
    {
        int want = (int)Math.Min(Remaining, destination.Length);
        if (want == 0) return 0;
        int bytes = want * _elementSize;
        if (_scratch.Length < bytes) _scratch = new byte[bytes];
        int n = ReadBytes(_scratch.AsSpan(0, bytes));
        ElementConversion.ToFloat32(_tensor.DType, _scratch.AsSpan(0, n * _elementSize), destination[..n]);
        return n;
    }
}
