using System.Buffers;
using WeightPort.Tensors;

namespace WeightPort.IO;

/// <summary>
/// Produces a tensor's output bytes (row-major, little-endian, in the output dtype) in chunks of at most
/// <see cref="ChunkBytes"/>, so that writing a checkpoint never holds more than one chunk per tensor in managed memory.
/// Contiguous little-endian sources are handed out as spans of the source itself (no copy).
/// </summary>
internal static class TensorBytes
{
    /// <summary>Upper bound of one chunk; a multiple of every element size.</summary>
    internal const int ChunkBytes = 1 << 20;

    /// <summary>Streams <paramref name="tensor"/>'s output bytes to <paramref name="sink"/>.</summary>
    public static void Write(TensorToWrite tensor, ByteChunkHandler sink)
    {
        if (!tensor.IsCast)
        {
            ForEachSourceChunk(tensor.Source, ChunkBytes, sink);
            return;
        }
        DType from = tensor.Source.DType, to = tensor.DType;
        int inSize = from.ElementSize(), outSize = to.ElementSize();
        int maxElements = ChunkBytes / sizeof(float);
        float[] floats = ArrayPool<float>.Shared.Rent(maxElements);
        byte[] output = ArrayPool<byte>.Shared.Rent(maxElements * outSize);
        try
        {
            ForEachSourceChunk(tensor.Source, maxElements * inSize, chunk =>
            {
                int n = chunk.Length / inSize;
                var f = floats.AsSpan(0, n);
                var o = output.AsSpan(0, n * outSize);
                ElementConversion.ToFloat32(from, chunk, f);
                ElementConversion.FromFloat32(f, to, o);
                sink(o);
            });
        }
        finally
        {
            ArrayPool<float>.Shared.Return(floats);
            ArrayPool<byte>.Shared.Return(output);
        }
    }

    /// <summary>Streams <paramref name="tensor"/>'s output bytes to <paramref name="stream"/>.</summary>
    public static void WriteTo(TensorToWrite tensor, Stream stream)
    {
        if (stream is IBufferWriter<byte> writer && TryReadInto(tensor, writer)) return;
        Write(tensor, stream.Write);
    }

    /// <summary>
    /// Reads a contiguous, little-endian, uncast tensor straight into <paramref name="writer"/>'s buffers: one copy
    /// (the file read) instead of a read into a buffer of ours and a copy out of it.
    /// </summary>
    private static bool TryReadInto(TensorToWrite tensor, IBufferWriter<byte> writer)
    {
        var source = tensor.Source;
        if (tensor.IsCast || !source.IsContiguous || source.Storage.BigEndian) return false;
        var storage = source.Storage;
        long start = checked(storage.ByteOffset + source.StorageOffset * source.DType.ElementSize());
        long total = source.ByteCount;
        for (long done = 0; done < total;)
        {
            var span = writer.GetSpan();
            int n = (int)Math.Min(span.Length, total - done);
            storage.Source.Read(start + done, span[..n]);
            writer.Advance(n);
            done += n;
        }
        return true;
    }

    /// <summary>
    /// Hands out the source's elements, row-major and little-endian, in chunks of whole elements of at most
    /// <paramref name="maxBytes"/> bytes.
    /// </summary>
    internal static void ForEachSourceChunk(TensorInfo tensor, int maxBytes, ByteChunkHandler sink)
    {
        long count = tensor.ElementCount;
        if (count == 0) return;
        int size = tensor.DType.ElementSize();
        int capacity = Math.Max(size, maxBytes - maxBytes % size);
        var storage = tensor.Storage;
        if (tensor.IsContiguous)
        {
            long start = checked(storage.ByteOffset + tensor.StorageOffset * size);
            long total = tensor.ByteCount;
            // Read through ByteSource.Read (pread for files) into one pooled buffer: the copied pages then stay in
            // the page cache instead of the process's resident set.
            byte[] buffer = ArrayPool<byte>.Shared.Rent(capacity);
            try
            {
                for (long done = 0; done < total;)
                {
                    int n = (int)Math.Min(capacity, total - done);
                    var chunk = buffer.AsSpan(0, n);
                    storage.Source.Read(start + done, chunk);
                    if (storage.BigEndian) ByteOrder.SwapInPlace(chunk, tensor.DType.SwapUnit());
                    sink(chunk);
                    done += n;
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
            return;
        }
        Gather(tensor, size, capacity, sink);
    }

    private static void Gather(TensorInfo tensor, int size, int capacity, ByteChunkHandler sink)
    {
        var shape = tensor.Shape;
        var stride = tensor.Stride;
        var storage = tensor.Storage;
        int rank = shape.Count;
        // A non-contiguous view has rank ≥ 1 (rank 0 is always contiguous).
        long inner = shape[rank - 1];
        long innerStride = stride[rank - 1];
        long outer = tensor.ElementCount / inner;
        var index = new long[rank];
        int elementsPerChunk = capacity / size;
        byte[] buffer = ArrayPool<byte>.Shared.Rent(capacity);
        try
        {
            int filled = 0; // elements in buffer
            for (long o = 0; o < outer; o++)
            {
                long rowStart = tensor.StorageOffset;
                for (int d = 0; d < rank - 1; d++) rowStart += index[d] * stride[d];
                for (long i = 0; i < inner;)
                {
                    int take = (int)Math.Min(elementsPerChunk - filled, inner - i);
                    var destination = buffer.AsSpan(filled * size, take * size);
                    if (innerStride == 1)
                    {
                        storage.Source.GetSpan(storage.ByteOffset + (rowStart + i) * size, take * size).CopyTo(destination);
                    }
                    else
                    {
                        for (int k = 0; k < take; k++)
                        {
                            long element = rowStart + (i + k) * innerStride;
                            storage.Source.GetSpan(storage.ByteOffset + element * size, size).CopyTo(destination.Slice(k * size, size));
                        }
                    }
                    filled += take;
                    i += take;
                    if (filled == elementsPerChunk)
                    {
                        Flush(buffer.AsSpan(0, filled * size));
                        filled = 0;
                    }
                }
                for (int d = rank - 2; d >= 0; d--)
                {
                    if (++index[d] < shape[d]) break;
                    index[d] = 0;
                }
            }
            if (filled > 0) Flush(buffer.AsSpan(0, filled * size));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        void Flush(Span<byte> chunk)
        {
            if (storage.BigEndian) ByteOrder.SwapInPlace(chunk, tensor.DType.SwapUnit());
            sink(chunk);
        }
    }
}
