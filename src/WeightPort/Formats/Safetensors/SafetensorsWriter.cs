using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using WeightPort.IO;
using WeightPort.Tensors;

namespace WeightPort.Formats.Safetensors;

/// <summary>
/// Writes safetensors files byte for byte as huggingface/safetensors' <c>serialize</c> does: tensors sorted by dtype
/// alignment (descending), then by name; a compact JSON header with <c>__metadata__</c> first, padded with spaces to a
/// multiple of 8; then the tensors' bytes in that order. Values are streamed from the sources in bounded chunks.
/// </summary>
internal static class SafetensorsWriter
{
    // safetensors' `Dtype` enum order, which `prepare` sorts by (descending): "MUST be in increasing alignment order".
    private static readonly DType[] AlignmentOrder =
    [
        DType.Bool, DType.UInt8, DType.Int8, DType.Int16, DType.Float16, DType.BFloat16, DType.Int32,
        DType.Float32, DType.Complex64, DType.Float64, DType.Int64,
    ];

    /// <summary>Writes <paramref name="tensors"/> to <paramref name="path"/> atomically (see <see cref="AtomicFileWriter"/>).</summary>
    /// <param name="path">The file to create.</param>
    /// <param name="tensors">The tensors; names must be unique and not <c>__metadata__</c>.</param>
    /// <param name="metadata">The <c>__metadata__</c> map, written in enumeration order; null or empty writes none.</param>
    /// <param name="overwrite">Replace an existing file.</param>
    /// <exception cref="ArgumentException">A duplicate or reserved name, or a dtype safetensors cannot hold (complex128).</exception>
    /// <exception cref="IOException">The target exists and <paramref name="overwrite"/> is false, or writing failed.</exception>
    public static void Write(string path, IEnumerable<TensorToWrite> tensors, IEnumerable<KeyValuePair<string, string>>? metadata = null, bool overwrite = false)
    {
        var plan = Plan(tensors, metadata);
        AtomicFileWriter.Write(path, overwrite, stream => WritePlanned(stream, plan));
    }

    /// <summary>Writes <paramref name="tensors"/> to <paramref name="destination"/> (which is left open).</summary>
    /// <exception cref="ArgumentException">As <see cref="Write(string, IEnumerable{TensorToWrite}, IEnumerable{KeyValuePair{string, string}}?, bool)"/>.</exception>
    public static void Write(Stream destination, IEnumerable<TensorToWrite> tensors, IEnumerable<KeyValuePair<string, string>>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(destination);
        WritePlanned(destination, Plan(tensors, metadata));
    }

    /// <summary>The total file size <paramref name="tensors"/> and <paramref name="metadata"/> would produce.</summary>
    public static long ComputeLength(IEnumerable<TensorToWrite> tensors, IEnumerable<KeyValuePair<string, string>>? metadata = null)
    {
        var (header, ordered) = Plan(tensors, metadata);
        long total = header.Length;
        foreach (var t in ordered) total = checked(total + t.ByteCount);
        return total;
    }

    private static void WritePlanned(Stream stream, (byte[] Header, List<TensorToWrite> Ordered) plan)
    {
        stream.Write(plan.Header);
        foreach (var t in plan.Ordered) TensorBytes.WriteTo(t.Source, t.DType, stream);
        stream.Flush();
    }

    /// <summary>Sorts the tensors and builds the 8-byte size plus the padded header.</summary>
    private static (byte[] Header, List<TensorToWrite> Ordered) Plan(IEnumerable<TensorToWrite> tensors, IEnumerable<KeyValuePair<string, string>>? metadata)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        var items = new List<(TensorToWrite Tensor, byte[] Utf8Name, int Rank)>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var t in tensors)
        {
            ArgumentNullException.ThrowIfNull(t);
            if (t.Name == SafetensorsReader.MetadataKey) throw new ArgumentException($"'{t.Name}' is reserved for the metadata map", nameof(tensors));
            if (!names.Add(t.Name)) throw new ArgumentException($"tensor name '{t.Name}' appears twice", nameof(tensors));
            int rank = Array.IndexOf(AlignmentOrder, t.DType);
            if (rank < 0) throw new ArgumentException($"tensor '{t.Name}': safetensors has no dtype for {t.DType.TorchName()}", nameof(tensors));
            items.Add((t, Encoding.UTF8.GetBytes(t.Name), rank));
        }
        // Descending alignment, then name; Rust compares names as UTF-8 bytes.
        items.Sort((a, b) => b.Rank != a.Rank ? b.Rank.CompareTo(a.Rank) : a.Utf8Name.AsSpan().SequenceCompareTo(b.Utf8Name));

        var json = new StringBuilder();
        json.Append('{');
        bool first = true;
        if (metadata is not null)
        {
            var entries = metadata.ToList();
            if (entries.Count > 0)
            {
                json.Append("\"__metadata__\":{");
                var seen = new HashSet<string>(StringComparer.Ordinal);
                for (int i = 0; i < entries.Count; i++)
                {
                    if (!seen.Add(entries[i].Key)) throw new ArgumentException($"metadata key '{entries[i].Key}' appears twice", nameof(metadata));
                    if (i > 0) json.Append(',');
                    AppendString(json, entries[i].Key);
                    json.Append(':');
                    AppendString(json, entries[i].Value ?? throw new ArgumentException($"metadata value of '{entries[i].Key}' is null", nameof(metadata)));
                }
                json.Append('}');
                first = false;
            }
        }
        long offset = 0;
        foreach (var (t, _, _) in items)
        {
            if (!first) json.Append(',');
            first = false;
            AppendString(json, t.Name);
            json.Append(":{\"dtype\":\"").Append(t.DType.SafetensorsName()).Append("\",\"shape\":[");
            for (int i = 0; i < t.Shape.Count; i++)
            {
                if (i > 0) json.Append(',');
                json.Append(t.Shape[i].ToString(CultureInfo.InvariantCulture));
            }
            long end = checked(offset + t.ByteCount);
            json.Append("],\"data_offsets\":[").Append(offset.ToString(CultureInfo.InvariantCulture)).Append(',')
                .Append(end.ToString(CultureInfo.InvariantCulture)).Append("]}");
            offset = end;
        }
        json.Append('}');

        int jsonLength = Encoding.UTF8.GetByteCount(json.ToString());
        int padded = checked(jsonLength + (8 - jsonLength % 8) % 8);
        if (padded > SafetensorsReader.MaxHeaderSize) throw new ArgumentException($"the header would be {padded:N0} bytes, over safetensors' limit of {SafetensorsReader.MaxHeaderSize:N0}", nameof(tensors));
        var header = new byte[8 + padded];
        BinaryPrimitives.WriteUInt64LittleEndian(header, (ulong)padded);
        Encoding.UTF8.GetBytes(json.ToString(), header.AsSpan(8));
        header.AsSpan(8 + jsonLength).Fill((byte)' ');
        return (header, items.ConvertAll(i => i.Tensor));
    }

    /// <summary>Appends a JSON string escaped as serde_json does: quote, backslash and control characters only.</summary>
    private static void AppendString(StringBuilder sb, string value)
    {
        sb.Append('"');
        foreach (char c in value)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                default:
                    if (c < 0x20) sb.Append("\\u00").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture));
                    else sb.Append(c);
                    break;
            }
        }
        sb.Append('"');
    }
}
