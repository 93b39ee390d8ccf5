using System.Text;
using WeightPort.Formats.Pickle;
using WeightPort.IO;
using WeightPort.Tensors;

namespace WeightPort.Formats.Torch;

/// <summary>
/// Reads PyTorch's zip format (torch ≥ 1.6; docs/formats.md §4): <c>&lt;prefix&gt;/data.pkl</c> with storages in
/// <c>&lt;prefix&gt;/data/&lt;key&gt;</c>. STORED records are viewed in place; DEFLATE records are inflated (capped).
/// </summary>
internal static class ZipCheckpointReader
{
    /// <summary>Reads the archive in <paramref name="source"/>; the returned checkpoint owns the source.</summary>
    public static Checkpoint Read(ByteSource source, string path, CheckpointReadOptions options, PickleLimits? limits = null)
    {
        var zip = ZipDirectory.Read(source);
        if (zip.Entries.Count == 0) throw new CheckpointFormatException(CheckpointError.NotACheckpoint, "this zip is empty, not a PyTorch checkpoint");
        string first = zip.Entries[0].Name;
        int slash = first.IndexOf('/');
        string prefix = slash > 0 ? first[..slash] : "";
        var dataPkl = prefix.Length > 0 ? zip.Find(prefix + "/data.pkl") : null;
        if (dataPkl is null)
        {
            if (zip.Entries.Any(e => e.Name.EndsWith("constants.pkl", StringComparison.Ordinal)))
                throw TorchScript();
            throw new CheckpointFormatException(CheckpointError.NotACheckpoint,
                $"this zip is not a PyTorch checkpoint: it has no '{(prefix.Length > 0 ? prefix : "<folder>")}/data.pkl' record (first entry '{first}')");
        }
        if (zip.Find(prefix + "/constants.pkl") is not null) throw TorchScript();
        foreach (var e in zip.Entries)
        {
            if (!e.Name.StartsWith(prefix + "/", StringComparison.Ordinal))
                throw new CheckpointFormatException(CheckpointError.MalformedArchive,
                    $"record '{e.Name}' lies outside the archive folder '{prefix}/'", offset: e.LocalHeaderOffset);
        }

        string entryName = dataPkl.Name;
        var ids = new StorageIds(entryName, legacy: false);
        var unpickler = new Unpickler(entryName, 0, limits, ids.Load);
        var pickleBytes = zip.ReadSmall(dataPkl);
        var root = unpickler.Load(pickleBytes, out int end);
        if (end != pickleBytes.Length)
            throw new CheckpointFormatException(CheckpointError.MalformedPickle, $"{pickleBytes.Length - end:N0} bytes follow the pickle's STOP", offset: end, entry: entryName);
        var hiddenGlobals = new List<UnsafeGlobal>();
        var storageRecords = new HashSet<string>(ids.Roots.Select(r => prefix + "/data/" + r.Key), StringComparer.Ordinal);
        foreach (var e in zip.Entries)
        {
            if (e != dataPkl && !storageRecords.Contains(e.Name)) CheckOtherMember(zip, e, limits, options, hiddenGlobals);
        }

        var metadata = new Dictionary<string, string>(StringComparer.Ordinal) { ["prefix"] = prefix };
        var versionEntry = zip.Find(prefix + "/.data/version") ?? zip.Find(prefix + "/version")
            ?? throw new CheckpointFormatException(CheckpointError.MalformedArchive, $"the archive has no '{prefix}/version' record");
        string versionText = SmallText(zip, versionEntry, 64);
        if (!int.TryParse(versionText.Trim(), out int version) || version is < 1 or > 10)
            throw new CheckpointFormatException(CheckpointError.MalformedArchive,
                $"archive version '{versionText.Trim()}' is outside the supported range 1 to 10", key: versionEntry.Name, offset: versionEntry.DataOffset);
        metadata["version"] = version.ToString(System.Globalization.CultureInfo.InvariantCulture);

        bool bigEndian = false;
        if (zip.Find(prefix + "/byteorder") is { } bo)
        {
            string order = SmallText(zip, bo, 16);
            bigEndian = order switch
            {
                "little" => false,
                "big" => true,
                _ => throw new CheckpointFormatException(CheckpointError.MalformedArchive, $"byteorder record says '{order}', not 'little' or 'big'", key: bo.Name, offset: bo.DataOffset),
            };
            metadata["byteorder"] = order;
        }
        if (zip.Find(prefix + "/.format_version") is { } fv) metadata["format_version"] = SmallText(zip, fv, 64).Trim();
        if (zip.Find(prefix + "/.data/serialization_id") is { } sid) metadata["serialization_id"] = SmallText(zip, sid, 256).Trim();

        var sources = new List<ByteSource> { source };
        foreach (var storage in ids.Roots)
        {
            string name = prefix + "/data/" + storage.Key;
            var record = zip.Find(name) ?? throw new CheckpointFormatException(CheckpointError.MalformedArchive,
                $"storage '{storage.Key}' has no record '{name}'", key: storage.Key);
            long bytes;
            try { bytes = checked(storage.ElementCount * storage.DType.ElementSize()); }
            catch (OverflowException)
            {
                throw new CheckpointFormatException(CheckpointError.StorageMismatch, $"storage '{storage.Key}' of {storage.ElementCount:N0} elements overflows", key: storage.Key);
            }
            if (record.Size != bytes)
                throw new CheckpointFormatException(CheckpointError.StorageMismatch,
                    $"record '{name}' holds {record.Size:N0} bytes but storage '{storage.Key}' needs {storage.ElementCount:N0} {storage.DType.TorchName()} elements = {bytes:N0} bytes",
                    key: storage.Key, offset: record.LocalHeaderOffset);
            var src = zip.Open(record, out long offset);
            if (!ReferenceEquals(src, source)) sources.Add(src);
            storage.Bind(new TensorStorage(storage.Key, storage.DType, storage.ElementCount, src, offset, bigEndian, storage.Location));
        }
        TensorBinder.Bind(unpickler.Tensors, entryName);
        int maxDepth = (limits ?? PickleLimits.Default).MaxNestingDepth;
        var (tensors, unsafeGlobals) = CheckpointFlattener.Flatten(root, unpickler.Globals, options, maxDepth);
        return new Checkpoint(path, CheckpointFormat.PyTorchZip, tensors, root, [.. unsafeGlobals, .. hiddenGlobals], metadata, [.. sources]);
    }

    /// <summary>
    /// A record other than <c>data.pkl</c> and the storages it uses: torch does not unpickle it, but a pickle hidden there
    /// (a second <c>.pkl</c>, a pickle named <c>data.bin</c> or <c>.data/serialization_id</c>, an unused storage record)
    /// is a payload waiting for a loader that does, so any global outside the allowlist in it refuses the file.
    /// </summary>
    private static void CheckOtherMember(ZipDirectory zip, ZipEntry entry, PickleLimits? limits, CheckpointReadOptions options, List<UnsafeGlobal> found)
    {
        if (entry.Size > MaxOtherPickleBytes && !entry.Name.EndsWith(".pkl", StringComparison.Ordinal)) return;
        var bytes = zip.ReadSmall(entry);
        if (!entry.Name.EndsWith(".pkl", StringComparison.Ordinal) && !PickleSniff.LooksLikePickle(bytes)) return;
        var globals = PickleSniff.GlobalsOf(bytes, entry.Name, 0, limits, out _);
        HeaderGlobals.Check(globals, options, found, $"in a zip record other than data.pkl (torch does not load it; another loader may)");
    }

    // Storage records are raw numbers and can be large; a pickle hidden under another name is small.
    private const long MaxOtherPickleBytes = 64L << 20;

    private static CheckpointFormatException TorchScript() =>
        new(CheckpointError.UnsupportedFormat, "this is a TorchScript archive (it has constants.pkl), not a torch.save checkpoint: export its state_dict with torch.save(model.state_dict(), path)");

    private static string SmallText(ZipDirectory zip, ZipEntry entry, int max)
    {
        if (entry.Size > max)
            throw new CheckpointFormatException(CheckpointError.MalformedArchive, $"record '{entry.Name}' of {entry.Size:N0} bytes is larger than {max}", key: entry.Name);
        return Encoding.ASCII.GetString(zip.ReadSmall(entry));
    }
}
