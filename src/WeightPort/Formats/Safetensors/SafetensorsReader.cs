using System.Buffers.Binary;
using System.Text.Json;
using System.Text.Unicode;
using WeightPort.IO;
using WeightPort.Tensors;

namespace WeightPort.Formats.Safetensors;

/// <summary>
/// Strict reader of huggingface safetensors files (docs/formats.md §9): an 8-byte little-endian header size, a
/// UTF-8 JSON header padded with spaces, then a byte buffer that the tensors cover exactly. Tensors are views into the
/// source; nothing is copied.
/// </summary>
internal static class SafetensorsReader
{
    /// <summary>Largest header accepted, in bytes (safetensors' <c>MAX_HEADER_SIZE</c>).</summary>
    public const long MaxHeaderSize = 100_000_000;

    /// <summary>The header key holding the string→string metadata map.</summary>
    public const string MetadataKey = "__metadata__";

    private const int HeaderPrefix = 8;

    private static readonly JsonReaderOptions JsonOptions = new()
    {
        CommentHandling = JsonCommentHandling.Disallow,
        AllowTrailingCommas = false,
        MaxDepth = 16,
    };

    /// <summary>Maps <paramref name="path"/> and reads it; the checkpoint owns the mapping.</summary>
    /// <exception cref="CheckpointFormatException">The file breaks a rule of the format (see <see cref="SafetensorsRule"/>).</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static Checkpoint Open(string path) => CheckpointReader.OpenMapped(path, Read);

    /// <summary>
    /// Reads a safetensors file from <paramref name="source"/>. On success the returned checkpoint owns
    /// <paramref name="source"/> (disposing it disposes the source); on failure the caller still does.
    /// </summary>
    /// <param name="source">The whole file.</param>
    /// <param name="path">The file's path, for <see cref="Checkpoint.Path"/> and error messages.</param>
    /// <returns>A checkpoint of format <see cref="CheckpointFormat.Safetensors"/> whose tensors are in data order and whose
    /// <see cref="Checkpoint.Metadata"/> is <c>__metadata__</c> in header order.</returns>
    /// <exception cref="CheckpointFormatException">The file breaks a rule of the format; the reason starts with the
    /// <see cref="SafetensorsRule"/> and names the tensor concerned.</exception>
    public static Checkpoint Read(ByteSource source, string path)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(path);
        long length = source.Length;
        if (length < HeaderPrefix)
            throw Fail(SafetensorsRule.HeaderTooSmall, CheckpointError.Truncated, path, 0, null,
                $"the file has {length} bytes, fewer than the 8-byte header size");
        ulong declared = BinaryPrimitives.ReadUInt64LittleEndian(source.GetSpan(0, HeaderPrefix));
        if (declared > MaxHeaderSize)
            throw Fail(SafetensorsRule.HeaderTooLarge, CheckpointError.LimitExceeded, path, 0, null,
                $"header size {declared:N0} exceeds the limit of {MaxHeaderSize:N0} bytes");
        long headerSize = (long)declared;
        if (headerSize > length - HeaderPrefix)
            throw Fail(SafetensorsRule.InvalidHeaderLength, CheckpointError.Truncated, path, 0, null,
                $"header size {headerSize:N0} reaches byte {HeaderPrefix + headerSize:N0}, the file ends at {length:N0}");
        var header = source.GetSpan(HeaderPrefix, (int)headerSize);
        if (!Utf8.IsValid(header))
            throw Fail(SafetensorsRule.InvalidHeaderEncoding, CheckpointError.InvalidHeader, path, HeaderPrefix, null,
                "the header is not valid UTF-8");
        if (header.IsEmpty || header[0] != (byte)'{')
            throw Fail(SafetensorsRule.InvalidHeaderStart, CheckpointError.InvalidHeader, path, HeaderPrefix, null,
                header.IsEmpty ? "the header is empty" : $"the header starts with byte 0x{header[0]:X2}, not '{{'");

        var (entries, metadata) = ParseHeader(header, path);
        long bufferStart = HeaderPrefix + headerSize;
        var ordered = Validate(entries, path, bufferStart, length);

        var tensors = new List<NamedTensor>(ordered.Count);
        foreach (var e in ordered)
        {
            var storage = new TensorStorage(e.Name, e.DType, e.ElementCount, source, bufferStart + e.Begin);
            tensors.Add(new NamedTensor(e.Name, TensorInfo.Create(storage, 0, e.Shape)));
        }
        return new Checkpoint(path, CheckpointFormat.Safetensors, tensors, null, [], metadata, source);
    }

    private static (List<Entry> Entries, OrderedDictionary<string, string> Metadata) ParseHeader(ReadOnlySpan<byte> header, string path)
    {
        // The format allows right-padding with spaces only; anything else after the object is refused below.
        int end = header.Length;
        while (end > 0 && header[end - 1] == (byte)' ') end--;
        var json = header[..end];
        var entries = new List<Entry>();
        var metadata = new OrderedDictionary<string, string>(StringComparer.Ordinal);
        var keys = new HashSet<string>(StringComparer.Ordinal);
        var reader = new Utf8JsonReader(json, isFinalBlock: true, new JsonReaderState(JsonOptions));
        try
        {
            reader.Read(); // StartObject: the first byte is '{'
            while (true)
            {
                Next(ref reader, path);
                if (reader.TokenType == JsonTokenType.EndObject) break;
                long keyOffset = HeaderPrefix + reader.TokenStartIndex;
                string key = reader.GetString()!;
                if (!keys.Add(key))
                    throw Fail(SafetensorsRule.DuplicateKey, CheckpointError.InvalidHeader, path, keyOffset, key,
                        $"the header lists '{key}' twice");
                Next(ref reader, path);
                if (key == MetadataKey) ReadMetadata(ref reader, path, metadata);
                else entries.Add(ReadEntry(ref reader, path, key, keyOffset));
            }
            if (reader.Read() || reader.BytesConsumed != json.Length)
                throw Fail(SafetensorsRule.InvalidHeaderDeserialization, CheckpointError.InvalidHeader, path,
                    HeaderPrefix + reader.BytesConsumed, null, "the header has content after its JSON object other than space padding");
            if (json[^1] != (byte)'}')
                throw Fail(SafetensorsRule.InvalidHeaderDeserialization, CheckpointError.InvalidHeader, path,
                    HeaderPrefix + json.Length - 1, null, "the header's JSON object is followed by whitespace other than spaces");
        }
        catch (JsonException ex)
        {
            throw Fail(SafetensorsRule.InvalidHeaderDeserialization, CheckpointError.InvalidHeader, path,
                HeaderPrefix + reader.BytesConsumed, null, "the header is not valid JSON: " + ex.Message, ex);
        }
        catch (InvalidOperationException ex)
        {
            // GetString on an escaped lone surrogate.
            throw Fail(SafetensorsRule.InvalidHeaderDeserialization, CheckpointError.InvalidHeader, path,
                HeaderPrefix + reader.TokenStartIndex, null, "the header holds an invalid string: " + ex.Message, ex);
        }
        return (entries, metadata);
    }

    private static void Next(ref Utf8JsonReader reader, string path)
    {
        if (!reader.Read())
            throw Fail(SafetensorsRule.InvalidHeaderDeserialization, CheckpointError.InvalidHeader, path,
                HeaderPrefix + reader.BytesConsumed, null, "the header's JSON ends early");
    }

    private static void ReadMetadata(ref Utf8JsonReader reader, string path, OrderedDictionary<string, string> metadata)
    {
        long offset = HeaderPrefix + reader.TokenStartIndex;
        if (reader.TokenType == JsonTokenType.Null) return; // serde reads null as "no metadata"
        if (reader.TokenType != JsonTokenType.StartObject)
            throw Fail(SafetensorsRule.InvalidMetadata, CheckpointError.InvalidHeader, path, offset, MetadataKey,
                $"__metadata__ is a JSON {reader.TokenType}, not an object of strings");
        while (true)
        {
            Next(ref reader, path);
            if (reader.TokenType == JsonTokenType.EndObject) return;
            long keyOffset = HeaderPrefix + reader.TokenStartIndex;
            string key = reader.GetString()!;
            Next(ref reader, path);
            if (reader.TokenType != JsonTokenType.String)
                throw Fail(SafetensorsRule.InvalidMetadata, CheckpointError.InvalidHeader, path, keyOffset, key,
                    $"__metadata__ value of '{key}' is a JSON {reader.TokenType}, not a string");
            if (!metadata.TryAdd(key, reader.GetString()!))
                throw Fail(SafetensorsRule.DuplicateKey, CheckpointError.InvalidHeader, path, keyOffset, key,
                    $"__metadata__ lists '{key}' twice");
        }
    }

    private static Entry ReadEntry(ref Utf8JsonReader reader, string path, string name, long offset)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
            throw BadEntry(path, offset, name, $"the entry is a JSON {reader.TokenType}, not an object");
        string? dtypeName = null;
        long[]? shape = null;
        long[]? offsets = null;
        while (true)
        {
            Next(ref reader, path);
            if (reader.TokenType == JsonTokenType.EndObject) break;
            string field = reader.GetString()!;
            long fieldOffset = HeaderPrefix + reader.TokenStartIndex;
            Next(ref reader, path);
            switch (field)
            {
                case "dtype" when dtypeName is null:
                    if (reader.TokenType != JsonTokenType.String) throw BadEntry(path, fieldOffset, name, $"dtype is a JSON {reader.TokenType}, not a string");
                    dtypeName = reader.GetString()!;
                    break;
                case "shape" when shape is null:
                    shape = ReadIntegers(ref reader, path, name, "shape", fieldOffset);
                    break;
                case "data_offsets" when offsets is null:
                    offsets = ReadIntegers(ref reader, path, name, "data_offsets", fieldOffset);
                    if (offsets.Length != 2) throw BadEntry(path, fieldOffset, name, $"data_offsets has {offsets.Length} numbers, not 2");
                    break;
                case "dtype" or "shape" or "data_offsets":
                    throw Fail(SafetensorsRule.DuplicateKey, CheckpointError.InvalidHeader, path, fieldOffset, name, $"the entry lists '{field}' twice");
                default:
                    throw BadEntry(path, fieldOffset, name, $"unknown field '{field}' (only dtype, shape and data_offsets are allowed)");
            }
        }
        if (dtypeName is null || shape is null || offsets is null)
            throw BadEntry(path, offset, name, $"the entry lacks {(dtypeName is null ? "dtype" : shape is null ? "shape" : "data_offsets")}");
        if (!DTypes.TryFromSafetensorsName(dtypeName, out var dtype))
            throw Fail(SafetensorsRule.UnsupportedDType, CheckpointError.UnsupportedDType, path, offset, name,
                $"dtype '{dtypeName}' is not supported (BOOL, U8, I8, I16, I32, I64, F16, BF16, F32, F64, C64 are)");
        return new Entry(name, dtype, shape, offsets[0], offsets[1], offset);
    }

    private static long[] ReadIntegers(ref Utf8JsonReader reader, string path, string name, string field, long offset)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
            throw BadEntry(path, offset, name, $"{field} is a JSON {reader.TokenType}, not an array");
        var values = new List<long>();
        while (true)
        {
            Next(ref reader, path);
            if (reader.TokenType == JsonTokenType.EndArray) return [.. values];
            if (reader.TokenType != JsonTokenType.Number || !reader.TryGetUInt64(out ulong v))
                throw BadEntry(path, HeaderPrefix + reader.TokenStartIndex, name, $"{field} holds '{System.Text.Encoding.UTF8.GetString(reader.ValueSpan)}', not a non-negative integer");
            if (v > long.MaxValue)
                throw Fail(SafetensorsRule.ValidationOverflow, CheckpointError.LimitExceeded, path, HeaderPrefix + reader.TokenStartIndex, name,
                    $"{field} value {v:N0} exceeds {long.MaxValue:N0}");
            values.Add((long)v);
        }
    }

    private static List<Entry> Validate(List<Entry> entries, string path, long bufferStart, long fileLength)
    {
        // As safetensors' Metadata::validate: sorted by (begin, end), each tensor must start where the previous ended.
        var ordered = entries.OrderBy(e => e.Begin).ThenBy(e => e.End).ToList();
        long expectedBegin = 0;
        foreach (var e in ordered)
        {
            if (e.Begin != expectedBegin || e.End < e.Begin)
            {
                string why = e.End < e.Begin ? $"ends at {e.End:N0} before it begins at {e.Begin:N0}"
                    : e.Begin > expectedBegin ? $"begins at {e.Begin:N0}, leaving a hole after the previous tensor's end at {expectedBegin:N0}"
                    : $"begins at {e.Begin:N0}, overlapping the previous tensor, which ends at {expectedBegin:N0}";
                throw Fail(SafetensorsRule.InvalidOffset, CheckpointError.InvalidHeader, path, e.HeaderOffset, e.Name, "data_offsets " + why);
            }
            expectedBegin = e.End;
            long elements = 1, extent = 1, bytes;
            try
            {
                foreach (long d in e.Shape)
                {
                    elements = checked(elements * d);
                    // Row-major strides multiply the sizes with zeros counted as one; they must fit too.
                    extent = checked(extent * Math.Max(d, 1));
                }
                bytes = checked(elements * e.DType.ElementSize());
            }
            catch (OverflowException)
            {
                throw Fail(SafetensorsRule.ValidationOverflow, CheckpointError.LimitExceeded, path, e.HeaderOffset, e.Name,
                    $"shape [{string.Join(", ", e.Shape)}] of {e.DType.SafetensorsName()} overflows a 64-bit byte count");
            }
            if (e.End - e.Begin != bytes)
                throw Fail(SafetensorsRule.TensorInvalidInfo, CheckpointError.InvalidHeader, path, e.HeaderOffset, e.Name,
                    $"data_offsets [{e.Begin:N0}, {e.End:N0}] span {e.End - e.Begin:N0} bytes, but shape [{string.Join(", ", e.Shape)}] of {e.DType.SafetensorsName()} needs {bytes:N0}");
            e.ElementCount = elements;
        }
        long bufferLength = fileLength - bufferStart;
        if (expectedBegin != bufferLength)
        {
            bool truncated = expectedBegin > bufferLength;
            throw Fail(SafetensorsRule.MetadataIncompleteBuffer, truncated ? CheckpointError.Truncated : CheckpointError.InvalidHeader,
                path, truncated ? fileLength : bufferStart + expectedBegin, ordered.Count > 0 ? ordered[^1].Name : null,
                truncated
                    ? $"the tensors need a {expectedBegin:N0}-byte buffer, the file holds {bufferLength:N0} bytes after the header"
                    : $"the tensors cover {expectedBegin:N0} of the {bufferLength:N0} buffer bytes; {bufferLength - expectedBegin:N0} trailing bytes are not part of any tensor");
        }
        return ordered;
    }

    private static CheckpointFormatException BadEntry(string path, long offset, string name, string reason) =>
        Fail(SafetensorsRule.InvalidTensorEntry, CheckpointError.InvalidHeader, path, offset, name, reason);

    private static CheckpointFormatException Fail(SafetensorsRule rule, CheckpointError error, string path, long? offset,
        string? key, string reason, Exception? inner = null) =>
        new(error, $"{rule}: safetensors {reason}", path, offset, key, null, inner);

    private sealed class Entry(string name, DType dtype, long[] shape, long begin, long end, long headerOffset)
    {
        public string Name { get; } = name;
        public DType DType { get; } = dtype;
        public long[] Shape { get; } = shape;
        public long Begin { get; } = begin;
        public long End { get; } = end;
        public long HeaderOffset { get; } = headerOffset;
        public long ElementCount { get; set; }
    }
}
