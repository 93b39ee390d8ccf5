using System.Text;
using WeightPort.IO;
using WeightPort.Tensors;

namespace WeightPort.Formats.TorchSharp;

/// <summary>
/// Writes TorchSharp's <c>Module.save</c> state-dict format and its <c>Tensor.Save</c> single-tensor format byte for
/// byte as TorchSharp does (docs/formats.md §8.5): LEB128 count; per entry the key as a 7-bit-encoded UTF-8
/// <em>byte</em> count and the bytes, LEB128 dtype code, rank and dims, then the raw little-endian row-major values.
/// Entries are written in the order given. Values are streamed from the sources in bounded chunks.
/// </summary>
internal static class TorchSharpWriter
{
    /// <summary>Writes a state dict to <paramref name="path"/> atomically (see <see cref="AtomicFileWriter"/>).</summary>
    /// <exception cref="ArgumentException">Two entries share a name.</exception>
    /// <exception cref="IOException">The target exists and <paramref name="overwrite"/> is false, or writing failed.</exception>
    public static void Write(string path, IEnumerable<TensorToWrite> tensors, bool overwrite = false)
    {
        var list = Check(tensors);
        AtomicFileWriter.Write(path, overwrite, stream => WriteChecked(stream, list));
    }

    /// <summary>Writes a state dict to <paramref name="destination"/> (left open).</summary>
    /// <exception cref="ArgumentException">Two entries share a name.</exception>
    public static void Write(Stream destination, IEnumerable<TensorToWrite> tensors)
    {
        ArgumentNullException.ThrowIfNull(destination);
        WriteChecked(destination, Check(tensors));
    }

    /// <summary>Writes one tensor in <c>Tensor.Save</c> form (no count, no key) to <paramref name="path"/> atomically.</summary>
    /// <exception cref="IOException">The target exists and <paramref name="overwrite"/> is false, or writing failed.</exception>
    public static void WriteTensor(string path, TensorToWrite tensor, bool overwrite = false)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        AtomicFileWriter.Write(path, overwrite, stream => WriteTensor(stream, tensor));
    }

    /// <summary>Writes one tensor in <c>Tensor.Save</c> form to <paramref name="destination"/> (left open).</summary>
    public static void WriteTensor(Stream destination, TensorToWrite tensor)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(tensor);
        WriteRecord(destination, tensor);
        destination.Flush();
    }

    private static List<TensorToWrite> Check(IEnumerable<TensorToWrite> tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        var list = tensors.ToList();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var t in list)
        {
            ArgumentNullException.ThrowIfNull(t);
            if (!names.Add(t.Name)) throw new ArgumentException($"tensor name '{t.Name}' appears twice", nameof(tensors));
        }
        return list;
    }

    private static void WriteChecked(Stream stream, List<TensorToWrite> tensors)
    {
        Span<byte> buffer = stackalloc byte[Leb128.MaxBytes];
        stream.Write(buffer[..Leb128.Write(tensors.Count, buffer)]);
        foreach (var t in tensors)
        {
            byte[] key = Encoding.UTF8.GetBytes(t.Name);
            // BinaryWriter.Write(string): Write7BitEncodedInt(UTF-8 byte count), the same bytes as LEB128 for a non-negative int.
            stream.Write(buffer[..Leb128.Write(key.Length, buffer)]);
            stream.Write(key);
            WriteRecord(stream, t);
        }
        stream.Flush();
    }

    private static void WriteRecord(Stream stream, TensorToWrite tensor)
    {
        int rank = tensor.Shape.Count;
        var header = new byte[Leb128.MaxBytes * (rank + 2)];
        int n = Leb128.Write(tensor.DType.TorchSharpCode(), header);
        n += Leb128.Write(rank, header.AsSpan(n));
        foreach (long d in tensor.Shape) n += Leb128.Write(d, header.AsSpan(n));
        stream.Write(header, 0, n);
        TensorBytes.WriteTo(tensor.Source, tensor.DType, stream);
    }
}
