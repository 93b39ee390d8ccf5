using System.Text;
using WeightPort.IO;
using WeightPort.Tensors;

namespace WeightPort.Formats.TorchSharp;

/// <summary>
/// Strict reader of TorchSharp's own formats (docs/formats.md §8.1–§8.4): a <c>Module.save</c> state dict
/// (LEB128 count, then per entry a 7-bit-length-prefixed UTF-8 key and a tensor record) or a single
/// <c>Tensor.Save</c> record (LEB128 dtype, rank, dims, raw little-endian data). Neither has a magic number, so the
/// state-dict layout is tried first and must consume the file exactly; otherwise the single-tensor layout must.
/// </summary>
internal static class TorchSharpReader
{
    /// <summary>The path <see cref="Checkpoint.Tensors"/> gives the one tensor of a <c>Tensor.Save</c> file (the root, as for a pickle whose root is a tensor).</summary>
    public const string SingleTensorPath = "";

    /// <summary>Highest rank accepted (PyTorch's own limit on dimensions).</summary>
    public const int MaxRank = 64;

    // An entry needs at least a key length byte, a dtype byte and a rank byte.
    private const int MinEntryBytes = 3;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Maps <paramref name="path"/> and reads it; the checkpoint owns the mapping.</summary>
    /// <exception cref="CheckpointFormatException">Neither layout fits the file.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static Checkpoint Open(string path) => CheckpointReader.OpenMapped(path, Read);

    /// <summary>
    /// Reads a TorchSharp file from <paramref name="source"/>: format <see cref="CheckpointFormat.TorchSharp"/> for a state
    /// dict (tensors in file order), <see cref="CheckpointFormat.TorchSharpTensor"/> for a single tensor (under
    /// <see cref="SingleTensorPath"/>). On success the checkpoint owns <paramref name="source"/>; on failure the caller still does.
    /// </summary>
    /// <exception cref="CheckpointFormatException">Neither layout consumes the file exactly; the error of the layout
    /// that got further is reported (with the key and offset concerned).</exception>
    public static Checkpoint Read(ByteSource source, string path)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(path);
        CheckpointFormatException stateDictError;
        try
        {
            var tensors = ReadStateDict(source, path);
            return new Checkpoint(path, CheckpointFormat.TorchSharp, tensors, null, [], new Dictionary<string, string>(), source);
        }
        catch (CheckpointFormatException ex)
        {
            stateDictError = ex;
        }
        try
        {
            long position = 0;
            var tensor = ReadTensor(source, path, ref position, SingleTensorPath, null);
            if (position != source.Length) throw Trailing(path, position, source.Length, null);
            return new Checkpoint(path, CheckpointFormat.TorchSharpTensor, [new NamedTensor(SingleTensorPath, tensor)], null, [],
                new Dictionary<string, string>(), source);
        }
        catch (CheckpointFormatException tensorError)
        {
            if ((tensorError.Offset ?? 0) > (stateDictError.Offset ?? 0))
                throw new CheckpointFormatException(tensorError.Error, "not a TorchSharp state dict, and as a single Tensor.Save record: " + tensorError.Reason,
                    path, tensorError.Offset, tensorError.Key, null, tensorError);
            throw stateDictError;
        }
    }

    private static List<NamedTensor> ReadStateDict(ByteSource source, string path)
    {
        long position = 0;
        long count = ReadLeb128(source, path, ref position, "entry count", null);
        long remaining = source.Length - position;
        if (count > remaining / MinEntryBytes)
            throw new CheckpointFormatException(CheckpointError.Truncated,
                $"TorchSharp state dict declares {count:N0} entries, which need at least {MinEntryBytes} bytes each, but only {remaining:N0} bytes follow",
                path, 0);
        // The count is bounded by the file size only; do not let it size an allocation.
        var tensors = new List<NamedTensor>((int)Math.Min(count, 1024));
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (long i = 0; i < count; i++)
        {
            long keyOffset = position;
            string key = ReadKey(source, path, ref position, i);
            if (!names.Add(key))
                throw new CheckpointFormatException(CheckpointError.InvalidHeader, $"TorchSharp state dict lists key '{key}' twice", path, keyOffset, key);
            tensors.Add(new NamedTensor(key, ReadTensor(source, path, ref position, key, key)));
        }
        if (position != source.Length) throw Trailing(path, position, source.Length, tensors.Count > 0 ? tensors[^1].Path : null);
        return tensors;
    }

    private static string ReadKey(ByteSource source, string path, ref long position, long index)
    {
        // BinaryReader.ReadString: Read7BitEncodedInt (at most 5 bytes, the fifth ≤ 0x0F, as uint) then that many UTF-8 bytes.
        long start = position;
        uint length = 0;
        for (int i = 0; ; i++)
        {
            if (position >= source.Length)
                throw new CheckpointFormatException(CheckpointError.Truncated, $"TorchSharp state dict: the file ends inside the length of key #{index}", path, start);
            byte b = source.GetSpan(position++, 1)[0];
            if (i == 4)
            {
                if (b > 0x0F)
                    throw new CheckpointFormatException(CheckpointError.InvalidHeader, $"TorchSharp state dict: the length of key #{index} is not a valid 7-bit encoded int", path, start);
                length |= (uint)b << 28;
                break;
            }
            length |= (uint)(b & 0x7F) << (7 * i);
            if ((b & 0x80) == 0) break;
        }
        if (length > int.MaxValue || length > source.Length - position)
            throw new CheckpointFormatException(CheckpointError.Truncated,
                $"TorchSharp state dict: key #{index} declares {length:N0} bytes, only {source.Length - position:N0} remain", path, start);
        var bytes = source.GetSpan(position, (int)length);
        string key;
        try
        {
            key = StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException ex)
        {
            throw new CheckpointFormatException(CheckpointError.InvalidHeader, $"TorchSharp state dict: key #{index} is not valid UTF-8", path, position, null, null, ex);
        }
        position += length;
        return key;
    }

    private static TensorInfo ReadTensor(ByteSource source, string path, ref long position, string name, string? key)
    {
        long recordOffset = position;
        long code = ReadLeb128(source, path, ref position, "dtype", key);
        if (!DTypes.TryFromTorchSharpCode(code, out var dtype))
            throw new CheckpointFormatException(CheckpointError.UnsupportedDType,
                $"TorchSharp dtype code {code} is not supported ({DescribeCode(code)})", path, recordOffset, key);
        long rankOffset = position;
        long rank = ReadLeb128(source, path, ref position, "rank", key);
        if (rank > MaxRank)
            throw new CheckpointFormatException(CheckpointError.LimitExceeded, $"TorchSharp tensor rank {rank:N0} exceeds the limit of {MaxRank}", path, rankOffset, key);
        var shape = new long[rank];
        long elements = 1, extent = 1;
        for (int d = 0; d < rank; d++)
        {
            long dimOffset = position;
            shape[d] = ReadLeb128(source, path, ref position, $"dimension {d}", key);
            try
            {
                elements = checked(elements * shape[d]);
                // Row-major strides multiply the sizes with zeros counted as one; they must fit too.
                extent = checked(extent * Math.Max(shape[d], 1));
            }
            catch (OverflowException)
            {
                throw new CheckpointFormatException(CheckpointError.LimitExceeded,
                    $"TorchSharp tensor shape [{string.Join(", ", shape.Take(d + 1))}] overflows a 64-bit element count", path, dimOffset, key);
            }
        }
        long bytes;
        try
        {
            bytes = checked(elements * dtype.ElementSize());
        }
        catch (OverflowException)
        {
            throw new CheckpointFormatException(CheckpointError.LimitExceeded,
                $"TorchSharp tensor of {elements:N0} {dtype.TorchName()} elements overflows a 64-bit byte count", path, recordOffset, key);
        }
        long remaining = source.Length - position;
        if (bytes > remaining)
            throw new CheckpointFormatException(CheckpointError.Truncated,
                $"TorchSharp tensor {dtype.TorchName()} [{string.Join(", ", shape)}] needs {bytes:N0} data bytes at offset {position:N0}, the file ends at {source.Length:N0}",
                path, position, key);
        var storage = new TensorStorage(name, dtype, elements, source, position);
        position += bytes;
        return TensorInfo.Create(storage, 0, shape);
    }

    private static long ReadLeb128(ByteSource source, string path, ref long position, string field, string? key)
    {
        int window = (int)Math.Min(Leb128.MaxBytes, source.Length - position);
        var span = source.GetSpan(position, window);
        int used = 0;
        switch (Leb128.TryRead(span, ref used, out long value))
        {
            case Leb128.Status.Ok:
                position += used;
                return value;
            case Leb128.Status.Truncated:
                throw new CheckpointFormatException(CheckpointError.Truncated, $"TorchSharp {field}: the file ends inside a LEB128 integer", path, position, key);
            case Leb128.Status.TooLong:
                throw new CheckpointFormatException(CheckpointError.InvalidHeader, $"TorchSharp {field}: LEB128 integer longer than {Leb128.MaxBytes} bytes", path, position, key);
            default:
                throw new CheckpointFormatException(CheckpointError.InvalidHeader, $"TorchSharp {field}: LEB128 integer exceeds {long.MaxValue:N0}", path, position, key);
        }
    }

    private static CheckpointFormatException Trailing(string path, long position, long length, string? key) =>
        new(CheckpointError.InvalidHeader, $"TorchSharp data ends at offset {position:N0} but the file has {length - position:N0} more bytes", path, position, key);

    private static string DescribeCode(long code) => code switch
    {
        8 => "ComplexFloat16 is not defined by TorchSharp",
        12 or 13 or 14 => "quantized types are not supported",
        _ => "codes 0–7, 9–11 and 15 are",
    };
}
