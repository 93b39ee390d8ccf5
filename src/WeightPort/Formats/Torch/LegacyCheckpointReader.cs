using System.Buffers.Binary;
using WeightPort.Formats.Pickle;
using WeightPort.IO;
using WeightPort.Tensors;

namespace WeightPort.Formats.Torch;

/// <summary>
/// Reads PyTorch's legacy stacked-pickle format (torch &lt; 1.6; docs/formats.md §5): magic, protocol 1001, sys_info,
/// the object, the storage key list, then per key an int64 element count and the raw little-endian bytes. Only the
/// pickles and the 8-byte counts are read; storages stay in the mapped file.
/// </summary>
internal static class LegacyCheckpointReader
{
    /// <summary>The magic number pickle exactly as torch writes it: PROTO 2, LONG1 10 bytes 0x1950a86a20f9469cfc6c, STOP.</summary>
    public static ReadOnlySpan<byte> MagicPickle => [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e];

    // The LONG1 operand of MagicPickle (little-endian), taken from those bytes so the number is written down once.
    private static readonly System.Numerics.BigInteger MagicNumber = new(MagicPickle[4..14], isUnsigned: true);
    private const int ProtocolVersion = 1001;

    /// <summary>The names of the five pickles, as messages and scan reports give them.</summary>
    public static readonly string[] PickleNames =
    [
        "legacy pickle #1 (magic number)", "legacy pickle #2 (protocol version)", "legacy pickle #3 (sys_info)",
        "legacy pickle #4 (object)", "legacy pickle #5 (storage keys)",
    ];

    public static Checkpoint Read(ByteSource source, string path, CheckpointReadOptions options, PickleLimits? limits = null)
    {
        long pos = 0;
        var headerGlobals = new List<UnsafeGlobal>();
        var magic = LoadHeaderPickle(source, ref pos, 0, limits, options, headerGlobals);
        // A magic pickle that calls something is the published "magic number bypass": torch checks the number only after
        // running the call. Refused above; a scan records it and reads on.
        bool scanningPastCall = magic is PickleObject && options.ReportUnsafeGlobals;
        if (!scanningPastCall && (magic is not PickleInt { Value: var m } || m != MagicNumber))
            throw new CheckpointFormatException(CheckpointError.UnsupportedFormat, magic is PickleInt i
                ? $"{PickleNames[0]} holds {i.Value}, not the magic number 0x{MagicHex} (corrupt file?)"
                : $"{PickleNames[0]} holds {magic.Described}, not the plain integer 0x{MagicHex} that torch writes: not a legacy checkpoint (torch refuses it too)",
                offset: 0, entry: PickleNames[0]);
        long protocolAt = pos;
        var protocol = LoadHeaderPickle(source, ref pos, 1, limits, options, headerGlobals);
        if (protocol is not PickleInt { Value: var p } || p != ProtocolVersion)
            throw new CheckpointFormatException(CheckpointError.UnsupportedFormat, $"legacy protocol version is {protocol}, {ProtocolVersion} expected", offset: protocolAt);
        var sysInfo = LoadHeaderPickle(source, ref pos, 2, limits, options, headerGlobals);
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        AddMetadata(metadata, "sys_info", sysInfo, 0);

        string objectEntry = PickleNames[3];
        var ids = new StorageIds(objectEntry, legacy: true);
        var unpickler = new Unpickler(objectEntry, pos, limits, ids.Load);
        var root = unpickler.Load(Remaining(source, pos), out int used);
        pos += used;

        long keysAt = pos;
        var keyList = LoadHeaderPickle(source, ref pos, 4, limits, options, headerGlobals);
        if (keyList is not PickleList keys)
            throw new CheckpointFormatException(CheckpointError.MalformedArchive, $"legacy storage key list is {keyList.Described}, not a list", offset: keysAt);

        var byKey = ids.Roots.ToDictionary(r => r.Key, StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in keys.Items)
        {
            if (item is not PickleString { Value: var key })
                throw new CheckpointFormatException(CheckpointError.MalformedArchive, $"legacy storage key is {item.Described}, not a str", offset: keysAt);
            if (!seen.Add(key)) throw new CheckpointFormatException(CheckpointError.MalformedArchive, $"legacy storage key '{key}' is listed twice", offset: keysAt, key: key);
            if (!byKey.TryGetValue(key, out var storage))
                throw new CheckpointFormatException(CheckpointError.MalformedArchive, $"legacy key list names storage '{key}', which the object never uses", offset: keysAt, key: key);
            if (!source.Contains(pos, 8))
                throw new CheckpointFormatException(CheckpointError.Truncated, $"legacy checkpoint: the size of storage '{key}' is expected at offset {pos:N0}, the file ends at {source.Length:N0}", offset: pos, key: key);
            long count = BinaryPrimitives.ReadInt64LittleEndian(source.GetSpan(pos, 8));
            if (count != storage.ElementCount)
                throw new CheckpointFormatException(CheckpointError.StorageMismatch,
                    $"legacy storage '{key}' records {count:N0} elements but its persistent id declares {storage.ElementCount:N0}", offset: pos, key: key);
            long bytes = checked(count * storage.DType.ElementSize());
            if (!source.Contains(pos + 8, bytes))
                throw new CheckpointFormatException(CheckpointError.Truncated,
                    $"legacy checkpoint: storage '{key}' is truncated: {bytes:N0} bytes expected at offset {pos + 8:N0}, the file ends at {source.Length:N0}", offset: pos + 8, key: key);
            // Legacy storages are always written little-endian (THPStorage_writeFileRaw swaps on big-endian hosts).
            storage.Bind(new TensorStorage(key, storage.DType, count, source, pos + 8, bigEndian: false, storage.Location));
            pos += 8 + bytes;
        }
        foreach (var r in ids.Roots)
        {
            if (!seen.Contains(r.Key))
                throw new CheckpointFormatException(CheckpointError.MalformedArchive, $"storage '{r.Key}' is used by the object but missing from the legacy key list", offset: keysAt, key: r.Key);
        }
        if (pos != source.Length)
            throw new CheckpointFormatException(CheckpointError.MalformedArchive, $"{source.Length - pos:N0} bytes follow the last legacy storage", offset: pos);

        TensorBinder.Bind(unpickler.Tensors, objectEntry);
        int maxDepth = (limits ?? PickleLimits.Default).MaxNestingDepth;
        var (tensors, unsafeGlobals) = CheckpointFlattener.Flatten(root, unpickler.Globals, options, maxDepth);
        return new Checkpoint(path, CheckpointFormat.PyTorchLegacy, tensors, root, [.. headerGlobals, .. unsafeGlobals], metadata, source);
    }

    /// <summary>Loads header pickle <paramref name="index"/> (#1, #2, #3 or #5), which may not name any global (torch writes none there) nor hold a persistent id.</summary>
    private static PickleValue LoadHeaderPickle(ByteSource source, ref long pos, int index, PickleLimits? limits, CheckpointReadOptions options, List<UnsafeGlobal> found)
    {
        string entry = PickleNames[index];
        if (pos >= source.Length)
            throw new CheckpointFormatException(CheckpointError.Truncated, $"the file ends at {source.Length:N0} before {entry}", offset: pos);
        var u = new Unpickler(entry, pos, limits, persistentLoad: null);
        var value = u.Load(Remaining(source, pos), out int used);
        HeaderGlobals.Check(u.Globals, options, found, index == 0
            ? "instead of holding the magic number: the published magic-number bypass, which runs code before torch checks the number"
            : "where torch writes no global");
        pos += used;
        return value;
    }

    // The magic number as text, for messages.
    private static string MagicHex => MagicNumber.ToString("x", System.Globalization.CultureInfo.InvariantCulture).TrimStart('0');

    private static ReadOnlySpan<byte> Remaining(ByteSource source, long pos) =>
        source.GetSpan(pos, (int)Math.Min(source.Length - pos, int.MaxValue));

    private static void AddMetadata(Dictionary<string, string> metadata, string prefix, PickleValue value, int depth)
    {
        if (depth > 4) return;
        switch (value)
        {
            case PickleDict d:
                foreach (var kv in d.Items) AddMetadata(metadata, prefix + "." + (kv.Key is PickleString s ? s.Value : kv.Key.ToString()), kv.Value, depth + 1);
                break;
            case PickleString s: metadata[prefix] = s.Value; break;
            case PickleNone: break;
            default: metadata[prefix] = value.ToString() ?? ""; break;
        }
    }
}
