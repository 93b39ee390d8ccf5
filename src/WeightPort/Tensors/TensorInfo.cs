namespace WeightPort.Tensors;

/// <summary>
/// A strided view of a <see cref="TensorStorage"/>, as PyTorch's <c>_rebuild_tensor_v2</c> describes it: element
/// (i₀, i₁, …) is storage element <c>StorageOffset + Σ iₖ·Stride[k]</c>. Nothing is copied until asked for.
/// </summary>
public sealed class TensorInfo
{
    private TensorInfo(TensorStorage storage, long storageOffset, long[] shape, long[] stride, bool requiresGrad)
    {
        Storage = storage;
        StorageOffset = storageOffset;
        Shape = shape;
        Stride = stride;
        RequiresGrad = requiresGrad;
        ElementCount = 1;
        foreach (long d in shape) ElementCount = checked(ElementCount * d);
    }

    /// <summary>Creates a view, checking that every element it addresses lies inside the storage.</summary>
    /// <exception cref="ArgumentException">A negative size or stride, an overflow, or an element outside the storage. Readers turn this into a <see cref="CheckpointFormatException"/>.</exception>
    internal static TensorInfo Create(TensorStorage storage, long storageOffset, IReadOnlyList<long> shape, IReadOnlyList<long>? stride = null, bool requiresGrad = false)
    {
        long[] sh = [.. shape];
        long[] st;
        try
        {
            st = stride is null ? ContiguousStrides(sh) : [.. stride];
        }
        catch (OverflowException)
        {
            throw new ArgumentException($"shape [{string.Join(", ", sh)}] overflows a 64-bit element count");
        }
        if (st.Length != sh.Length) throw new ArgumentException($"shape has {sh.Length} dims but stride has {st.Length}");
        if (storageOffset < 0) throw new ArgumentException($"negative storage offset {storageOffset}");
        long numel = 1;
        long maxIndex = storageOffset;
        try
        {
            for (int i = 0; i < sh.Length; i++)
            {
                if (sh[i] < 0) throw new ArgumentException($"negative size {sh[i]} in dim {i}");
                if (st[i] < 0) throw new ArgumentException($"negative stride {st[i]} in dim {i}");
                numel = checked(numel * sh[i]);
                if (sh[i] > 0) maxIndex = checked(maxIndex + (sh[i] - 1) * st[i]);
            }
        }
        catch (OverflowException)
        {
            throw new ArgumentException($"shape [{string.Join(", ", sh)}] with stride ({string.Join(", ", st)}) overflows a 64-bit index");
        }
        if (numel > 0 && maxIndex >= storage.ElementCount)
            throw new ArgumentException($"view with offset {storageOffset}, shape [{string.Join(", ", sh)}] and stride ({string.Join(", ", st)}) reaches element {maxIndex} of a storage with {storage.ElementCount} elements");
        return new TensorInfo(storage, storageOffset, sh, st, requiresGrad);
    }

    /// <summary>Row-major strides for <paramref name="shape"/>.</summary>
    internal static long[] ContiguousStrides(IReadOnlyList<long> shape)
    {
        var st = new long[shape.Count];
        long acc = 1;
        for (int i = shape.Count - 1; i >= 0; i--)
        {
            st[i] = acc;
            acc = checked(acc * Math.Max(shape[i], 1));
        }
        return st;
    }

    /// <summary>The storage viewed.</summary>
    internal TensorStorage Storage { get; }
    /// <summary>Element type (that of the storage).</summary>
    public DType DType => Storage.DType;
    /// <summary>Offset into the storage, in elements.</summary>
    public long StorageOffset { get; }
    /// <summary>Sizes per dimension.</summary>
    public IReadOnlyList<long> Shape { get; }
    /// <summary>Strides per dimension, in elements.</summary>
    public IReadOnlyList<long> Stride { get; }
    /// <summary>Whether PyTorch recorded <c>requires_grad</c>.</summary>
    public bool RequiresGrad { get; }
    /// <summary>Product of the shape.</summary>
    public long ElementCount { get; }
    /// <summary>Bytes of the tensor when laid out contiguously.</summary>
    public long ByteCount => ElementCount * DType.ElementSize();

    /// <summary>True when the view is row-major contiguous (dims of size 1 are ignored, as PyTorch does).</summary>
    public bool IsContiguous
    {
        get
        {
            long expected = 1;
            for (int i = Shape.Count - 1; i >= 0; i--)
            {
                if (Shape[i] == 1) continue;
                if (Stride[i] != expected) return Shape[i] == 0 || ElementCount == 0;
                expected *= Shape[i];
            }
            return true;
        }
    }

    /// <summary>True when both views address the same storage, offset, shape and stride.</summary>
    public bool IsSameViewAs(TensorInfo other) =>
        ReferenceEquals(Storage, other.Storage) && StorageOffset == other.StorageOffset &&
        Shape.SequenceEqual(other.Shape) && Stride.SequenceEqual(other.Stride);

    /// <summary>
    /// Copies the tensor into <paramref name="destination"/> (exactly <see cref="ByteCount"/> bytes) as contiguous
    /// little-endian elements, gathering strides and swapping bytes from a big-endian storage.
    /// </summary>
    /// <param name="destination">Exactly <see cref="ByteCount"/> bytes.</param>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is not <see cref="ByteCount"/> bytes long.</exception>
    public void CopyTo(Span<byte> destination)
    {
        if (destination.Length != ByteCount)
            throw new ArgumentException($"destination holds {destination.Length} bytes, the tensor {ByteCount}");
        if (ElementCount == 0) return;
        int es = DType.ElementSize();
        if (IsContiguous)
        {
            long start = Storage.ByteOffset + StorageOffset * es;
            CopyRun(start, destination);
        }
        else
        {
            GatherStrided(destination, es);
        }
        if (Storage.BigEndian) ByteOrder.SwapInPlace(destination, DType.SwapUnit());
    }

    /// <summary>Writes the contiguous little-endian bytes to <paramref name="stream"/> in bounded chunks.</summary>
    public void WriteTo(Stream stream) => TensorBytes.ForEachSourceChunk(this, TensorBytes.ChunkBytes, stream.Write);

    /// <summary>The contiguous little-endian bytes as a new array.</summary>
    public byte[] ToByteArray()
    {
        var bytes = new byte[checked((int)ByteCount)];
        CopyTo(bytes);
        return bytes;
    }

    /// <summary>The values converted to float32 (from any floating or integer dtype), row-major.</summary>
    public float[] ToFloat32Array()
    {
        var result = new float[checked((int)ElementCount)];
        ReadFloat32(result);
        return result;
    }

    /// <summary>Fills <paramref name="destination"/> with the values as float32, row-major.</summary>
    /// <param name="destination">Exactly <see cref="ElementCount"/> floats.</param>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is not <see cref="ElementCount"/> floats long.</exception>
    /// <exception cref="PlatformNotSupportedException">A big-endian host.</exception>
    public void ReadFloat32(Span<float> destination)
    {
        if (destination.Length != ElementCount) throw new ArgumentException($"destination holds {destination.Length} floats, the tensor {ElementCount}");
        if (DType == DType.Float32)
        {
            CopyTo(System.Runtime.InteropServices.MemoryMarshal.AsBytes(destination));
            if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("big-endian hosts");
            return;
        }
        byte[] raw = ToByteArray();
        ElementConversion.ToFloat32(DType, raw, destination);
    }

    /// <summary>SHA-256 of the contiguous little-endian bytes, lower-case hex (the convention of the corpus's EXPECTED.json).</summary>
    public string Sha256Hex()
    {
        using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        TensorBytes.ForEachSourceChunk(this, TensorBytes.ChunkBytes, chunk => hash.AppendData(chunk));
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private void CopyRun(long sourceOffset, Span<byte> destination)
    {
        const int Max = 1 << 30;
        for (int done = 0; done < destination.Length;)
        {
            int n = Math.Min(Max, destination.Length - done);
            Storage.Source.Read(sourceOffset + done, destination.Slice(done, n));
            done += n;
        }
    }

    private void GatherStrided(Span<byte> destination, int es)
    {
        int rank = Shape.Count;
        var index = new long[rank];
        // Copy runs along the innermost dimension when it is unit-strided, element by element otherwise.
        long inner = rank == 0 ? 1 : Shape[rank - 1];
        bool innerContiguous = rank == 0 || Stride[rank - 1] == 1;
        long outer = inner == 0 ? 0 : ElementCount / inner;
        int dst = 0;
        long baseByte = Storage.ByteOffset;
        for (long o = 0; o < outer; o++)
        {
            long elem = StorageOffset;
            for (int d = 0; d < rank - 1; d++) elem += index[d] * Stride[d];
            if (innerContiguous)
            {
                int n = checked((int)(inner * es));
                Storage.Source.Read(baseByte + elem * es, destination.Slice(dst, n));
                dst += n;
            }
            else
            {
                long step = Stride[rank - 1];
                for (long i = 0; i < inner; i++)
                {
                    Storage.Source.GetSpan(baseByte + (elem + i * step) * es, es).CopyTo(destination.Slice(dst, es));
                    dst += es;
                }
            }
            for (int d = rank - 2; d >= 0; d--)
            {
                if (++index[d] < Shape[d]) break;
                index[d] = 0;
            }
        }
    }
}
