using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using WeightPort.Formats.Pickle;
using WeightPort.IO;
using WeightPort.Tensors;

namespace WeightPort.Formats.Torch;

/// <summary>
/// Reads PyTorch's tar format (torch ≤ 0.1.9; docs/formats.md §6, torch 1.13 <c>legacy_load</c>): member
/// <c>storages</c> (count; per storage a pickled <c>(key, location, storage_type)</c>, an int64 element count and the raw
/// bytes; then a pickled list of views <c>(target, root, offset, numel)</c>), member <c>tensors</c> (count; per tensor a
/// pickled <c>(key, storage_id, tensor_type)</c>, int32 ndim, 4 pad bytes, ndim int64 sizes, ndim int64 strides, int64
/// storage offset) and member <c>pickle</c>, whose persistent ids are decimal keys of those storages and tensors.
/// </summary>
internal static class TarCheckpointReader
{
    private const int Block = 512;

    public static Checkpoint Read(ByteSource source, string path, CheckpointReadOptions options, PickleLimits? limits = null)
    {
        var members = ReadMembers(source);
        (long Offset, long Size) Member(string name) => members.TryGetValue(name, out var m) ? m
            : throw new CheckpointFormatException(CheckpointError.MalformedArchive, $"the tar checkpoint has no '{name}' member");

        var found = new List<UnsafeGlobal>();
        // Parts torch does not build the checkpoint from may still hold a payload for another loader.
        foreach (var (name, (offset, size)) in members)
        {
            if (name is "storages" or "tensors" or "pickle" || size > int.MaxValue) continue;
            var bytes = source.GetSpan(offset, (int)size);
            if (name != "sys_info" && !PickleSniff.LooksLikePickle(bytes)) continue;
            HeaderGlobals.Check(PickleSniff.GlobalsOf(bytes, name, offset, limits, out _), options, found,
                $"in the tar member '{name}', which torch does not load (another loader may)");
        }

        var objects = new Dictionary<BigIntegerKey, PickleValue>();
        var storages = new Dictionary<BigIntegerKey, PickleStorage>();

        // storages
        var (sOff, sSize) = Member("storages");
        long pos = sOff, end = sOff + sSize;
        long count = CountPickle(source, ref pos, end, options, found, "tar 'storages' count", limits);
        for (long i = 0; i < count; i++)
        {
            long at = pos;
            var header = Header(source, ref pos, end, options, found, $"tar storage #{i}", limits);
            if (header is not PickleTuple { Items: [PickleInt key, PickleString location, var type] })
                throw new CheckpointFormatException(CheckpointError.MalformedArchive, $"tar storage #{i} header is not (key, location, storage_type)", offset: at);
            if (!PickleAllowlist.TryGetStorageClass(type, out DType dtype, out _))
                throw new CheckpointFormatException(type is PickleGlobal { IsAllowlisted: false } ? CheckpointError.UnsafeGlobal : CheckpointError.UnsupportedDType,
                    $"tar storage #{i} has storage type {type}, not a supported torch storage class", offset: at);
            if (end - pos < 8) throw Truncated($"tar storage #{i} size", pos);
            long numel = BinaryPrimitives.ReadInt64LittleEndian(source.GetSpan(pos, 8));
            long bytes = numel < 0 ? -1 : checked(numel * dtype.ElementSize());
            if (bytes < 0 || end - pos - 8 < bytes) throw Truncated($"tar storage #{i} data ({numel:N0} elements)", pos);
            string k = key.Value.ToString(CultureInfo.InvariantCulture);
            var storage = new PickleStorage(k, dtype, numel, location.Value);
            storage.Bind(new TensorStorage(k, dtype, numel, source, pos + 8, bigEndian: false, location.Value));
            storages[new(key)] = storage;
            objects[new(key)] = storage;
            pos += 8 + bytes;
        }
        long viewsAt = pos;
        var views = Header(source, ref pos, end, options, found, "tar storage views", limits);
        if (views is not PickleList viewList)
            throw new CheckpointFormatException(CheckpointError.MalformedArchive, "tar storage view list is not a list", offset: viewsAt);
        foreach (var v in viewList.Items)
        {
            if (v is not PickleTuple { Items: [PickleInt target, PickleInt rootKey, PickleInt off, PickleInt n] }
                || !storages.TryGetValue(new(rootKey), out var root) || !off.TryGetInt64(out long o) || !n.TryGetInt64(out long vn)
                || o < 0 || vn < 0 || o > root.ElementCount || vn > root.ElementCount - o)
                throw new CheckpointFormatException(CheckpointError.MalformedArchive, $"tar storage view {v} does not name a range of a known storage", offset: viewsAt);
            var view = new PickleStorage(target.Value.ToString(CultureInfo.InvariantCulture), root, o, vn);
            TensorBinder.BindView(view);
            objects[new(target)] = view;
            storages[new(target)] = view;
        }

        // tensors
        var (tOff, tSize) = Member("tensors");
        pos = tOff;
        end = tOff + tSize;
        count = CountPickle(source, ref pos, end, options, found, "tar 'tensors' count", limits);
        var rebuilt = new List<PickleTensor>();
        int maxRank = (limits ?? PickleLimits.Default).MaxTensorRank;
        for (long i = 0; i < count; i++)
        {
            long at = pos;
            var header = Header(source, ref pos, end, options, found, $"tar tensor #{i}", limits);
            if (header is not PickleTuple { Items: [PickleInt key, PickleInt storageId, _] } || !storages.TryGetValue(new(storageId), out var storage))
                throw new CheckpointFormatException(CheckpointError.MalformedArchive, $"tar tensor #{i} header is not (key, known storage id, type)", offset: at);
            if (end - pos < 8) throw Truncated($"tar tensor #{i} rank", pos);
            int ndim = BinaryPrimitives.ReadInt32LittleEndian(source.GetSpan(pos, 4));
            if (ndim < 0 || ndim > maxRank)
                throw new CheckpointFormatException(CheckpointError.MalformedArchive, $"tar tensor #{i} has rank {ndim} (0 to {maxRank} accepted)", offset: pos);
            pos += 8; // "legacy encoding treated ndim as 8 bytes"
            long need = 8L * (2 * ndim + 1);
            if (end - pos < need) throw Truncated($"tar tensor #{i} sizes and strides", pos);
            var raw = source.GetSpan(pos, (int)need);
            var shape = new long[ndim];
            var stride = new long[ndim];
            for (int d = 0; d < ndim; d++)
            {
                shape[d] = BinaryPrimitives.ReadInt64LittleEndian(raw[(8 * d)..]);
                stride[d] = BinaryPrimitives.ReadInt64LittleEndian(raw[(8 * (ndim + d))..]);
            }
            long storageOffset = BinaryPrimitives.ReadInt64LittleEndian(raw[(16 * ndim)..]);
            var t = new PickleTensor(storage, storage.DType, storageOffset, shape, stride, false, at);
            rebuilt.Add(t);
            objects[new(key)] = t;
            pos += need;
        }
        TensorBinder.Bind(rebuilt, "tensors");

        // pickle
        var (pOff, pSize) = Member("pickle");
        if (pSize > int.MaxValue) throw new CheckpointFormatException(CheckpointError.LimitExceeded, "tar 'pickle' member is over 2 GiB");
        PickleValue Load(PickleValue id, long offset)
        {
            if (id is PickleTuple)
                throw new CheckpointFormatException(CheckpointError.UnsafeGlobal, "the checkpoint pickles a whole nn.Module (a 'module' persistent id); save the state_dict instead", offset: offset, entry: "pickle");
            if (id is PickleString s && BigIntegerKey.TryParse(s.Value, out var k) && objects.TryGetValue(k, out var obj)) return obj;
            throw new CheckpointFormatException(CheckpointError.MalformedPickle, $"persistent id {id} names no storage or tensor of the tar checkpoint", offset: offset, entry: "pickle");
        }
        var unpickler = new Unpickler("pickle", pOff, limits, Load);
        var span = source.GetSpan(pOff, (int)pSize);
        var rootValue = unpickler.Load(span, out int used);
        if (used != span.Length)
            throw new CheckpointFormatException(CheckpointError.MalformedPickle, $"{span.Length - used:N0} bytes follow the pickle's STOP", offset: pOff + used, entry: "pickle");
        if (unpickler.Tensors.Count > 0) TensorBinder.Bind(unpickler.Tensors, "pickle");
        int maxDepth = (limits ?? PickleLimits.Default).MaxNestingDepth;
        var (tensors, unsafeGlobals) = CheckpointFlattener.Flatten(rootValue, unpickler.Globals, options, maxDepth);
        return new Checkpoint(path, CheckpointFormat.PyTorchTar, tensors, rootValue, [.. found, .. unsafeGlobals], new Dictionary<string, string>(), source);
    }

    /// <summary>True when a ustar header with a valid checksum starts the source.</summary>
    public static bool LooksLikeTar(ByteSource source)
    {
        if (source.Length < Block) return false;
        var h = source.GetSpan(0, Block);
        return h.Slice(257, 5).SequenceEqual("ustar"u8) && ChecksumOk(h);
    }

    /// <summary>The regular members by name: where their data starts and how long it is.</summary>
    internal static Dictionary<string, (long Offset, long Size)> ReadMembers(ByteSource source)
    {
        var members = new Dictionary<string, (long, long)>(StringComparer.Ordinal);
        long pos = 0;
        string? paxPath = null;
        long? paxSize = null;
        while (true)
        {
            if (!source.Contains(pos, Block)) throw Truncated("tar header", pos);
            var h = source.GetSpan(pos, Block);
            if (h.IndexOfAnyExcept((byte)0) < 0) break; // end-of-archive block
            if (!ChecksumOk(h)) throw new CheckpointFormatException(CheckpointError.MalformedArchive, "tar header checksum mismatch", offset: pos);
            string name = CString(h[..100]);
            string prefix = h.Slice(257, 5).SequenceEqual("ustar"u8) ? CString(h.Slice(345, 155)) : "";
            if (prefix.Length > 0) name = prefix + "/" + name;
            long size = paxSize ?? Octal(h.Slice(124, 12), pos);
            byte type = h[156];
            long data = pos + Block;
            if (!source.Contains(data, size)) throw Truncated($"tar member '{name}' ({size:N0} bytes)", data);
            if (type is (byte)'x' or (byte)'g')
            {
                if (size > 1 << 20) throw new CheckpointFormatException(CheckpointError.LimitExceeded, "tar PAX header over 1 MiB", offset: pos);
                if (type == 'x') (paxPath, paxSize) = ParsePax(source.GetSpan(data, (int)size), pos);
            }
            else
            {
                if (paxPath is not null) name = paxPath;
                if (type is (byte)'0' or 0 && !members.TryAdd(name, (data, size)))
                    throw new CheckpointFormatException(CheckpointError.MalformedArchive, $"tar member '{name}' appears twice", offset: pos);
                paxPath = null;
                paxSize = null;
            }
            pos = checked(data + (size + Block - 1) / Block * Block);
        }
        return members;
    }

    private static (string?, long?) ParsePax(ReadOnlySpan<byte> records, long at)
    {
        string? path = null;
        long? size = null;
        string text = Encoding.UTF8.GetString(records);
        int i = 0;
        while (i < text.Length)
        {
            int sp = text.IndexOf(' ', i);
            if (sp < 0 || !int.TryParse(text.AsSpan(i, sp - i), out int len) || len <= 0 || i + len > text.Length)
                throw new CheckpointFormatException(CheckpointError.MalformedArchive, "malformed tar PAX record", offset: at);
            string rec = text.Substring(sp + 1, i + len - sp - 2);
            int eq = rec.IndexOf('=');
            if (eq > 0)
            {
                string k = rec[..eq], v = rec[(eq + 1)..];
                if (k == "path") path = v;
                else if (k == "size" && long.TryParse(v, out long s) && s >= 0) size = s;
            }
            i += len;
        }
        return (path, size);
    }

    private static bool ChecksumOk(ReadOnlySpan<byte> h)
    {
        long sum = 0;
        for (int i = 0; i < Block; i++) sum += i is >= 148 and < 156 ? (byte)' ' : h[i];
        string field = CString(h.Slice(148, 8)).Trim();
        return field.Length > 0 && field.All(c => c is >= '0' and <= '7') && Convert.ToInt64(field, 8) == sum;
    }

    private static long Octal(ReadOnlySpan<byte> field, long at)
    {
        string s = CString(field).Trim();
        if (s.Length == 0) return 0;
        if (!s.All(c => c is >= '0' and <= '7') || s.Length > 20)
            throw new CheckpointFormatException(CheckpointError.MalformedArchive, $"tar size field '{s}' is not octal", offset: at);
        return Convert.ToInt64(s, 8);
    }

    private static string CString(ReadOnlySpan<byte> field)
    {
        int nul = field.IndexOf((byte)0);
        return Encoding.UTF8.GetString(nul >= 0 ? field[..nul] : field);
    }

    private static long CountPickle(ByteSource source, ref long pos, long end, CheckpointReadOptions options, List<UnsafeGlobal> found, string what, PickleLimits? limits)
    {
        long at = pos;
        var v = Header(source, ref pos, end, options, found, what, limits);
        return v is PickleInt i && i.TryGetInt64(out long n) && n >= 0 && n <= 1 << 24
            ? n
            : throw new CheckpointFormatException(CheckpointError.MalformedArchive, $"{what} is {v}, not a count", offset: at);
    }

    private static PickleValue Header(ByteSource source, ref long pos, long end, CheckpointReadOptions options, List<UnsafeGlobal> found, string what, PickleLimits? limits)
    {
        if (pos >= end) throw Truncated(what, pos);
        var u = new Unpickler(what, pos, limits, persistentLoad: null);
        var v = u.Load(source.GetSpan(pos, (int)Math.Min(end - pos, int.MaxValue)), out int used);
        HeaderGlobals.Check(u.Globals, options, found, "in a tar header pickle, where torch writes only storage and tensor classes");
        pos += used;
        return v;
    }

    private static CheckpointFormatException Truncated(string what, long at) =>
        new(CheckpointError.Truncated, $"the tar checkpoint ends inside {what}", offset: at);

    /// <summary>Keys are Python ints (C pointers); compare by value.</summary>
    private readonly record struct BigIntegerKey(System.Numerics.BigInteger Value)
    {
        public BigIntegerKey(PickleInt i) : this(i.Value) { }

        public static bool TryParse(string s, out BigIntegerKey key)
        {
            bool ok = System.Numerics.BigInteger.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v);
            key = new(v);
            return ok;
        }
    }
}
