using System.Buffers;
using WeightPort.IO;

namespace WeightPort.Tensors;

/// <summary>
/// Produces a tensor's output bytes (row-major, little-endian, in the output dtype) in chunks of at most
/// <see cref="ChunkBytes"/>, so that writing a checkpoint never holds more than one chunk per tensor in managed memory.
/// Contiguous little-endian sources are handed out as spans of the source itself (no copy).
/// </summary>
internal static class TensorBytes
{
    /// <summary>Upper bound of one chunk; a multiple of every element size.</summary>
    internal const int ChunkBytes = 1 << 20;

    /// <summary>Streams <paramref name="source"/>'s bytes, converted to <paramref name="to"/>, to <paramref name="sink"/>.</summary>
    public static void Write(TensorInfo source, DType to, ByteChunkHandler sink)
    {
        DType from = source.DType;
        if (from == to)
        {
            ForEachSourceChunk(source, ChunkBytes, sink);
            return;
        }
        int inSize = from.ElementSize(), outSize = to.ElementSize();
        int maxElements = ChunkBytes / sizeof(float);
        float[] floats = ArrayPool<float>.Shared.Rent(maxElements);
        byte[] output = ArrayPool<byte>.Shared.Rent(maxElements * outSize);
        try
        {
            ForEachSourceChunk(source, maxElements * inSize, chunk =>
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

    /// <summary>Copies <paramref name="source"/>'s bytes, converted to <paramref name="to"/>, to the start of <paramref name="destination"/>.</summary>
    public static void CopyTo(TensorInfo source, DType to, Span<byte> destination)
    {
        var reader = new TensorChunkReader(source);
        if (source.DType == to)
        {
            reader.ReadBytes(destination[..checked((int)source.ByteCount)]);
            return;
        }
        int outSize = to.ElementSize();
        float[] floats = ArrayPool<float>.Shared.Rent(TensorChunkReader.ChunkElements);
        try
        {
            for (int done = 0, n; (n = reader.ReadFloat32(floats.AsSpan(0, TensorChunkReader.ChunkElements))) > 0; done += n)
                ElementConversion.FromFloat32(floats.AsSpan(0, n), to, destination.Slice(done * outSize, n * outSize));
        }
        finally
        {
            ArrayPool<float>.Shared.Return(floats);
        }
    }

    /// <summary>Streams <paramref name="source"/>'s bytes, converted to <paramref name="to"/>, to <paramref name="stream"/>.</summary>
    public static void WriteTo(TensorInfo source, DType to, Stream stream)
    {
        if (stream is IBufferWriter<byte> writer && source.DType == to && TryReadInto(source, writer)) return;
        Write(source, to, stream.Write);
    }

    /// <summary>
    /// Reads a contiguous, little-endian, uncast tensor straight into <paramref name="writer"/>'s buffers: one copy
    /// (the file read) instead of a read into a buffer of ours and a copy out of it.
    /// </summary>
    private static bool TryReadInto(TensorInfo source, IBufferWriter<byte> writer)
    {
        if (!source.IsContiguous || source.Storage.BigEndian) return false;
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
        if (tensor.ElementCount == 0) return;
        int size = tensor.DType.ElementSize();
        // Read through ByteSource.Read (pread for files) into one pooled buffer: the copied pages then stay in the page
        // cache instead of the process's resident set.
        int capacity = Math.Max(size, maxBytes - maxBytes % size);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(capacity);
        try
        {
            var reader = new TensorChunkReader(tensor);
            var span = buffer.AsSpan(0, capacity);
            for (int n; (n = reader.ReadBytes(span)) > 0;) sink(span[..(n * size)]);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
