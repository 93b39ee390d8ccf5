namespace WeightPort.Tensors;

/// <summary>
/// Reads a tensor front to back in row-major order, a chunk at a time, as little-endian bytes: the one way tensor
/// bytes leave their source, for writing and for comparing two 96 MB matrices without materialising either.
/// Contiguous views are read with one positional read per chunk; strided views are gathered run by run.
/// </summary>
internal sealed class TensorChunkReader
{
    /// <summary>Elements per chunk used by the comparisons: 256 KiB of float32.</summary>
    public const int ChunkElements = 1 << 16;

    private readonly TensorInfo _tensor;
    private readonly int _elementSize;
    private readonly long[] _index;
    private byte[] _scratch = [];
    private long _position;

    public TensorChunkReader(TensorInfo tensor)
    {
        _tensor = tensor;
        _elementSize = tensor.DType.ElementSize();
        _index = new long[tensor.Shape.Count];
    }

    /// <summary>Elements left.</summary>
    public long Remaining => _tensor.ElementCount - _position;

    /// <summary>Reads up to <c>destination.Length / elementSize</c> elements as little-endian bytes; returns the element count.</summary>
    public int ReadBytes(Span<byte> destination)
    {
        int n = (int)Math.Min(Remaining, destination.Length / _elementSize);
        if (n == 0) return 0;
        var dst = destination[..(n * _elementSize)];
        var storage = _tensor.Storage;
        if (_tensor.IsContiguous)
            storage.Source.Read(checked(storage.ByteOffset + (_tensor.StorageOffset + _position) * _elementSize), dst);
        else
            Gather(dst, n);
        if (storage.BigEndian) ByteOrder.SwapInPlace(dst, _tensor.DType.SwapUnit());
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

    // Copies the next n elements of a strided view, a run of the innermost dimension at a time; _index is the
    // multi-dimensional index of the next element (a strided view has rank ≥ 1: rank 0 is always contiguous).
    private void Gather(Span<byte> destination, int n)
    {
        var shape = _tensor.Shape;
        var stride = _tensor.Stride;
        var storage = _tensor.Storage;
        int rank = shape.Count, size = _elementSize;
        long innerStride = stride[rank - 1];
        for (int filled = 0; filled < n;)
        {
            long start = _tensor.StorageOffset;
            for (int d = 0; d < rank; d++) start += _index[d] * stride[d];
            int take = (int)Math.Min(n - filled, shape[rank - 1] - _index[rank - 1]);
            var run = destination.Slice(filled * size, take * size);
            if (innerStride == 1)
                storage.Source.GetSpan(storage.ByteOffset + start * size, take * size).CopyTo(run);
            else
                for (int k = 0; k < take; k++)
                    storage.Source.GetSpan(storage.ByteOffset + (start + k * innerStride) * size, size).CopyTo(run.Slice(k * size, size));
            filled += take;
            _index[rank - 1] += take;
            for (int d = rank - 1; d > 0 && _index[d] == shape[d]; d--)
            {
                _index[d] = 0;
                _index[d - 1]++;
            }
        }
    }
}
