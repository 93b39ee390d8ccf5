using System.Buffers.Binary;
using System.IO.Compression;
using WeightPort.Formats.Pickle;
using WeightPort.IO;
using WeightPort.Tensors;

namespace WeightPort.Formats.Torch;

/// <summary>
/// The security scanner (<c>weightport inspect --scan</c>): disassembles every pickle of a file, not only those torch
/// builds the checkpoint from. Each stacked pickle of a legacy file (magic number, protocol and sys_info included);
/// every record of a zip that is or looks like a pickle, whatever its name, duplicate names, flagged and mismatched
/// records included; every pickle of a tar, header pickles and <c>sys_info</c> included; and pickles nested in bytes
/// values. It carries on past what it cannot read (resynchronising on the next PROTO in a legacy file) and records
/// each such part as a <see cref="ScanProblem"/>. Nothing is imported or called.
/// </summary>
internal sealed class CheckpointScanner
{
    // Pickles inside bytes inside pickles: deeper than this is only there to exhaust the scanner.
    private const int MaxNesting = 4;
    // A record scanned as a pickle is inflated into memory; a pickle hidden in a checkpoint is small.
    private const long MaxMemberBytes = 256L << 20;
    private const long MaxDeflateRatio = 1100;

    private static readonly CheckpointReadOptions Report = new() { ReportUnsafeGlobals = true };

    private readonly ByteSource _source;
    private readonly string _fileName;
    private readonly PickleLimits _limits;
    private readonly List<string> _parts = [];
    private readonly List<(int Part, UnsafeGlobal Finding)> _findings = [];
    private readonly HashSet<(string, long)> _seen = [];
    private readonly List<ScanProblem> _problems = [];

    private readonly bool _paths;

    private CheckpointScanner(ByteSource source, string path, PickleLimits? limits, bool paths)
    {
        _source = source;
        _fileName = Path.GetFileName(path);
        _limits = limits ?? PickleLimits.Default;
        _paths = paths;
    }

    /// <summary>Scans the file at <paramref name="path"/>.</summary>
    /// <exception cref="CheckpointFormatException">The path is a directory.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static CheckpointScan Scan(string path)
    {
        using var source = CheckpointReader.OpenFile(path);
        try
        {
            return Scan(source, path);
        }
        catch (CheckpointFormatException e)
        {
            throw e.WithPath(path);
        }
    }

    /// <summary>Scans <paramref name="source"/>; <paramref name="path"/> names it.</summary>
    /// <param name="source">The file's bytes.</param>
    /// <param name="path">The file's name, for parts and messages.</param>
    /// <param name="limits">Pickle bounds; the defaults when null.</param>
    /// <param name="paths">
    /// Follow each object to give every finding its path (what <c>inspect --scan</c> shows). A reader that only needs to
    /// know whether something is called skips that walk, which costs as much as reading the object again.
    /// </param>
    public static CheckpointScan Scan(ByteSource source, string path, PickleLimits? limits = null, bool paths = true)
    {
        var scanner = new CheckpointScanner(source, path, limits, paths);
        string container = scanner.Run();
        var findings = scanner._findings.OrderBy(f => f.Part).ThenBy(f => f.Finding.Offset).Select(f => f.Finding).ToList();
        return new CheckpointScan(path, container, scanner._parts, findings, scanner._problems);
    }

    private string Run()
    {
        long length = _source.Length;
        if (length == 0)
        {
            Problem(_fileName, null, "the file is empty (0 bytes)");
            return "empty file";
        }
        var head = _source.GetSpan(0, (int)Math.Min(length, 16));
        if (head.StartsWith("PK\x03\x04"u8) || head.StartsWith("PK\x05\x06"u8))
        {
            ScanZip();
            return "PyTorch zip";
        }
        if (TarCheckpointReader.LooksLikeTar(_source))
        {
            ScanTar();
            return "PyTorch tar (PyTorch ≤ 0.1.9)";
        }
        SniffedFormat format;
        try
        {
            format = FormatSniffer.Sniff(_source);
        }
        catch (CheckpointFormatException e)
        {
            // Not a format that holds pickles, unless it starts like one (a truncated pickle reads as text).
            if (!(head[0] == (byte)PickleOpcode.Proto || PickleSniff.IsProtocol0Start(head[0])))
            {
                Problem(_fileName, e.Offset, e.Reason);
                return "not a checkpoint";
            }
            format = SniffedFormat.Pickle;
        }
        return format switch
        {
            SniffedFormat.Safetensors => "safetensors (no pickles)",
            SniffedFormat.TorchSharp => "TorchSharp (no pickles)",
            _ => ScanStacked(),
        };
    }

    // ---- plain and legacy: pickles one after the other ----

    private string ScanStacked()
    {
        long length = _source.Length;
        var first = Span(0, length);
        // Legacy when the first pickle is the exact magic number or is followed by another pickle (the magic may be forged).
        PickleSniff.Run(first, "", 0, _limits, out _, out int firstEnd, out var firstError);
        bool legacy = first.StartsWith(LegacyCheckpointReader.MagicPickle) || (firstError is null && firstEnd < first.Length && first[firstEnd] == (byte)PickleOpcode.Proto);
        long pos = 0;
        for (int index = 0; pos < length; index++)
        {
            // After the key list come the raw storages, which are numbers.
            if (legacy && index >= LegacyCheckpointReader.PickleNames.Length) break;
            string entry = legacy ? LegacyCheckpointReader.PickleNames[index] : index == 0 ? _fileName : $"{_fileName} (pickle #{index + 1})";
            var data = Span(pos, length - pos);
            var (_, end, error) = ScanPart(data, entry, pos, depth: 0);
            if (error is not null)
            {
                if (!legacy) break;
                // Carry on with the next pickle: the next PROTO 2 after where this one broke off.
                long from = Math.Max(pos + 1, (error.Offset ?? pos) + 1);
                int next = from < length ? Span(from, length - from).IndexOf([(byte)PickleOpcode.Proto, (byte)2]) : -1;
                if (next < 0) break;
                pos = from + next;
                continue;
            }
            pos += end;
            if (!legacy && pos < length)
            {
                Problem(entry, pos, $"{length - pos:N0} bytes follow the pickle's STOP");
                break;
            }
        }
        return legacy ? "PyTorch legacy (stacked pickles)" : "plain pickle";
    }

    // ---- zip ----

    private void ScanZip()
    {
        var tolerated = new List<CheckpointFormatException>();
        ZipDirectory zip;
        try
        {
            zip = ZipDirectory.Read(_source, tolerated.Add);
        }
        catch (CheckpointFormatException e)
        {
            Problem(_fileName, e.Offset, $"the zip's directory is unreadable ({e.Reason}); its local records are scanned instead");
            ScanLocalRecords();
            return;
        }
        foreach (var t in tolerated) Problem(_fileName, t.Offset, $"a reader refuses this zip: {t.Reason}; scanned anyway");

        var labels = Labels(zip.Entries.Select(e => (e.Name, e.LocalHeaderOffset)).ToList());
        // data.pkl first: the storage records it names hold numbers, which are not scanned as pickles.
        var storageRecords = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < zip.Entries.Count; i++)
        {
            var e = zip.Entries[i];
            if (!IsDataPkl(e.Name) || Read(zip, e, labels[i]) is not { } bytes) continue;
            string prefix = e.Name[..^"data.pkl".Length];
            ScanPart(bytes, labels[i], 0, depth: 0, id =>
            {
                if (id is PickleTuple { Items: [PickleString { Value: "storage" }, _, PickleString key, ..] }) storageRecords.Add(prefix + "data/" + key.Value);
            });
        }
        for (int i = 0; i < zip.Entries.Count; i++)
        {
            var e = zip.Entries[i];
            if (IsDataPkl(e.Name) || storageRecords.Contains(e.Name)) continue;
            bool named = e.Name.EndsWith(".pkl", StringComparison.Ordinal);
            if (!named && !LooksLikePickle(e)) continue;
            if (Read(zip, e, labels[i]) is { } bytes) ScanPart(bytes, labels[i], 0, depth: 0);
        }
    }

    private static bool IsDataPkl(string name) => name == "data.pkl" || name.EndsWith("/data.pkl", StringComparison.Ordinal);

    // A duplicate name gets its record's offset, so that each record is a part of its own.
    private static List<string> Labels(List<(string Name, long Offset)> records)
    {
        var counts = records.GroupBy(r => r.Name, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        return [.. records.Select(r => counts[r.Name] > 1 ? $"{r.Name} (the record at offset {r.Offset:N0})" : r.Name)];
    }

    private bool LooksLikePickle(ZipEntry e)
    {
        if (e.Method != ZipEntry.Stored) return e.Size <= MaxMemberBytes;
        if (e.CompressedSize < 2 || !_source.Contains(e.DataOffset, e.CompressedSize)) return false;
        return PickleSniff.LooksLikePickle(_source.GetSpan(e.DataOffset, 2)) ||
            (PickleSniff.IsProtocol0Start(_source.GetSpan(e.DataOffset, 1)[0]) && _source.GetSpan(e.DataOffset + e.CompressedSize - 1, 1)[0] == (byte)'.');
    }

    private byte[]? Read(ZipDirectory zip, ZipEntry e, string label)
    {
        try
        {
            if (e.Size > MaxMemberBytes)
            {
                Problem(label, null, $"a record of {e.Size:N0} bytes is too large to scan as a pickle");
                return null;
            }
            return zip.ReadSmall(e).ToArray();
        }
        catch (CheckpointFormatException x)
        {
            Problem(label, x.Offset, x.Reason);
            return null;
        }
    }

    // The central directory is unreadable: find the local headers by their signature and take each record's data to the
    // next signature (torch writes sizes only in data descriptors).
    private void ScanLocalRecords()
    {
        var all = Span(0, _source.Length);
        var starts = new List<int>();
        for (int i = all.IndexOf("PK\x03\x04"u8); i >= 0;)
        {
            starts.Add(i);
            int next = all[(i + 4)..].IndexOf("PK\x03\x04"u8);
            i = next < 0 ? -1 : i + 4 + next;
        }
        var records = new List<(string Name, long Offset, int Method, int Start, int End)>();
        for (int k = 0; k < starts.Count; k++)
        {
            int at = starts[k];
            if (at + 30 > all.Length) break;
            var h = all.Slice(at, 30);
            int method = BinaryPrimitives.ReadUInt16LittleEndian(h[8..]);
            int nameLen = BinaryPrimitives.ReadUInt16LittleEndian(h[26..]);
            int extraLen = BinaryPrimitives.ReadUInt16LittleEndian(h[28..]);
            int data = at + 30 + nameLen + extraLen;
            if (data > all.Length) break;
            int limit = k + 1 < starts.Count ? starts[k + 1] : all.Length;
            if (limit < data) continue;
            int central = all[data..limit].IndexOf("PK\x01\x02"u8);
            if (central >= 0) limit = data + central;
            records.Add((System.Text.Encoding.UTF8.GetString(all.Slice(at + 30, nameLen)), at, method, data, limit));
        }
        var labels = Labels([.. records.Select(r => (r.Name, r.Offset))]);
        for (int k = 0; k < records.Count; k++)
        {
            var r = records[k];
            byte[] bytes = Span(r.Start, r.End - r.Start).ToArray();
            if (r.Method == ZipEntry.Deflate && InflateLoosely(bytes) is { } inflated) bytes = inflated;
            if (r.Name.EndsWith(".pkl", StringComparison.Ordinal) || PickleSniff.LooksLikePickle(bytes) || (bytes.Length > 0 && PickleSniff.IsProtocol0Start(bytes[0])))
                ScanPart(bytes, labels[k], 0, depth: 0);
        }
    }

    // Deflate data whose end is not known (a data descriptor may follow it): inflate what inflates, capped.
    private static byte[]? InflateLoosely(byte[] compressed)
    {
        try
        {
            using var inflate = new DeflateStream(new MemoryStream(compressed), CompressionMode.Decompress);
            using var output = new MemoryStream();
            var buffer = new byte[64 * 1024];
            long cap = Math.Min(MaxMemberBytes, compressed.LongLength * MaxDeflateRatio + 1024);
            int n;
            while ((n = inflate.Read(buffer)) > 0 && output.Length < cap) output.Write(buffer, 0, n);
            return output.ToArray();
        }
        catch (InvalidDataException)
        {
            return null;
        }
    }

    // ---- tar ----

    private void ScanTar()
    {
        Dictionary<string, (long Offset, long Size)> members;
        try
        {
            members = TarCheckpointReader.ReadMembers(_source);
        }
        catch (CheckpointFormatException e)
        {
            Problem(_fileName, e.Offset, e.Reason);
            return;
        }
        foreach (var (name, (offset, size)) in members)
        {
            switch (name)
            {
                case "storages": ScanTarStorages(offset, offset + size); break;
                case "tensors": ScanTarTensors(offset, offset + size); break;
                default:
                    var bytes = Span(offset, size);
                    if (name is "pickle" or "sys_info" || PickleSniff.LooksLikePickle(bytes)) ScanPart(bytes, name, offset, depth: 0);
                    break;
            }
        }
    }

    // Header pickles between raw storage bytes (TarCheckpointReader's layout), as far as their structure can be followed.
    private void ScanTarStorages(long pos, long end)
    {
        if (TarHeader(ref pos, end, "tar 'storages' count") is not PickleInt c || !c.TryGetInt64(out long count) || count < 0) return;
        for (long i = 0; i < count; i++)
        {
            string label = $"tar storage #{i}";
            if (TarHeader(ref pos, end, label) is not PickleTuple { Items: [_, _, var type] }) return;
            if (!PickleAllowlist.TryGetStorageClass(type, out var dtype, out _) || end - pos < 8)
            {
                Problem(label, pos, "not followed by a storage of a known class; the rest of 'storages' is not scanned");
                return;
            }
            long numel = BinaryPrimitives.ReadInt64LittleEndian(_source.GetSpan(pos, 8));
            if (numel < 0 || numel > (end - pos - 8) / dtype.ElementSize())
            {
                Problem(label, pos, $"declares {numel:N0} elements, more than 'storages' holds; the rest is not scanned");
                return;
            }
            pos += 8 + numel * dtype.ElementSize();
        }
        TarHeader(ref pos, end, "tar storage views");
    }

    private void ScanTarTensors(long pos, long end)
    {
        if (TarHeader(ref pos, end, "tar 'tensors' count") is not PickleInt c || !c.TryGetInt64(out long count) || count < 0) return;
        for (long i = 0; i < count; i++)
        {
            string label = $"tar tensor #{i}";
            if (TarHeader(ref pos, end, label) is null) return;
            int ndim = end - pos >= 4 ? BinaryPrimitives.ReadInt32LittleEndian(_source.GetSpan(pos, 4)) : -1;
            long skip = 8 + 8L * (2L * ndim + 1);
            if (ndim is < 0 or > 64 || end - pos < skip)
            {
                Problem(label, pos, "not followed by a tensor record; the rest of 'tensors' is not scanned");
                return;
            }
            pos += skip;
        }
    }

    private PickleValue? TarHeader(ref long pos, long end, string label)
    {
        if (pos >= end)
        {
            Problem(label, pos, "the member ends before this pickle");
            return null;
        }
        var (root, used, error) = ScanPart(Span(pos, end - pos), label, pos, depth: 0);
        if (error is not null) return null;
        pos += used;
        return root;
    }

    // ---- one pickle ----

    private (PickleValue? Root, int End, CheckpointFormatException? Error) ScanPart(ReadOnlySpan<byte> data, string entry, long baseOffset, int depth,
        Action<PickleValue>? persistentIds = null)
    {
        int part = _parts.Count;
        _parts.Add(entry);
        var u = PickleSniff.Run(data, entry, baseOffset, _limits, out var root, out int end, out var error, persistentIds);
        bool pathed = false;
        if (root is not null && _paths)
        {
            try
            {
                var (_, found) = CheckpointFlattener.Flatten(root, u.Globals, Report, _limits.MaxNestingDepth, collectTensors: false);
                foreach (var g in found) Add(part, g);
                pathed = true;
            }
            catch (CheckpointFormatException e)
            {
                Problem(entry, e.Offset, $"object paths could not be followed ({e.Reason}); its globals are listed without paths");
            }
        }
        if (!pathed)
        {
            foreach (var g in u.Globals)
                if (g.IsUnsafe) Add(part, new UnsafeGlobal(g.Module, g.Name, "", g.Entry, g.Offset) { Use = g.Use });
        }
        if (error is not null) Problem(entry, error.Offset, error.Reason);
        if (depth < MaxNesting)
        {
            foreach (var (offset, bytes) in u.EmbeddedPickles)
                ScanPart(bytes.Value.Span, $"{entry} > pickle nested in bytes at offset {offset:N0}", offset, depth + 1);
        }
        return (root, end, error);
    }

    private void Add(int part, UnsafeGlobal finding)
    {
        if (_seen.Add((finding.Entry, finding.Offset))) _findings.Add((part, finding));
    }

    private void Problem(string entry, long? offset, string reason) => _problems.Add(new ScanProblem(entry, offset, reason));

    private ReadOnlySpan<byte> Span(long offset, long count) => _source.GetSpan(offset, (int)Math.Min(count, int.MaxValue));
}
