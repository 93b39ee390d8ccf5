using System.Globalization;
using System.Text;
using WeightPort.Formats.Torch.Writing;
using WeightPort.IO;
using WeightPort.Tensors;

namespace WeightPort.Formats.Torch;

/// <summary>
/// Writes a state dict as a PyTorch zip checkpoint (<c>.pth</c>) that <c>torch.load</c> reads, also with
/// <c>weights_only=True</c> (docs/formats.md §7). The layout is PyTorch 1.13's <c>torch.save</c> of an
/// <c>OrderedDict[str, Tensor]</c>: records <c>data.pkl</c>, optionally <c>byteorder</c> (<c>little</c>, as newer torch
/// writes), <c>data/&lt;key&gt;</c> in lexicographic key order, <c>version</c> (<c>3\n</c>), each 64-byte aligned in
/// miniz's exact byte layout. Each distinct tensor becomes one contiguous storage (views are materialised, so the
/// output holds no unused storage bytes); names whose entries share a view share that storage, as tied weights do.
/// <c>requires_grad</c> is written false, as in any <c>state_dict()</c>. Values are streamed from the sources in
/// bounded chunks. With <c>writeByteOrder: false</c> the file is byte-identical to torch 1.13's <c>torch.save</c> of the
/// same <c>OrderedDict</c> of contiguous tensors (a tensor placed under two names being one object).
/// </summary>
internal static class PyTorchZipWriter
{
    /// <summary>The record prefix used when the file name gives none (PyTorch's buffer writer uses it too).</summary>
    public const string DefaultArchiveName = "archive";

    /// <summary>Writes <paramref name="tensors"/> to <paramref name="path"/> atomically (see <see cref="AtomicFileWriter"/>),
    /// under the record prefix torch would use for that path (<see cref="ArchiveNameFor"/>).</summary>
    /// <param name="path">The file to create.</param>
    /// <param name="tensors">The state dict entries, in order; names must be unique.</param>
    /// <param name="overwrite">Replace an existing file.</param>
    /// <param name="writeByteOrder">Write the <c>byteorder</c> record (torch ≥ 2.x does, 1.13 does not; both load either way).</param>
    /// <exception cref="ArgumentException">Two entries share a name.</exception>
    /// <exception cref="IOException">The target exists and <paramref name="overwrite"/> is false, or writing failed.</exception>
    /// <exception cref="NotSupportedException">A record or its offset reaches 4 GiB (ZIP64 local fields are not produced).</exception>
    public static void Write(string path, IEnumerable<TensorToWrite> tensors, bool overwrite = false, bool writeByteOrder = true)
    {
        string archiveName = ArchiveNameFor(path);
        var plan = Plan(tensors);
        AtomicFileWriter.Write(path, overwrite, stream => WritePlanned(stream, plan, archiveName, writeByteOrder));
    }

    /// <summary>Writes <paramref name="tensors"/> to <paramref name="destination"/> (left open; need not be seekable).</summary>
    /// <param name="destination">The output.</param>
    /// <param name="tensors">The state dict entries, in order; names must be unique.</param>
    /// <param name="archiveName">The folder all records live under.</param>
    /// <param name="writeByteOrder">Write the <c>byteorder</c> record.</param>
    /// <exception cref="ArgumentException">Two entries share a name, or <paramref name="archiveName"/> is empty or holds '/' or '\'.</exception>
    /// <exception cref="NotSupportedException">A record or its offset reaches 4 GiB.</exception>
    public static void Write(Stream destination, IEnumerable<TensorToWrite> tensors, string archiveName = DefaultArchiveName, bool writeByteOrder = true)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentException.ThrowIfNullOrEmpty(archiveName);
        if (archiveName.AsSpan().IndexOfAny('/', '\\') >= 0) throw new ArgumentException($"archive name '{archiveName}' must not contain a path separator", nameof(archiveName));
        WritePlanned(destination, Plan(tensors), archiveName, writeByteOrder);
    }

    /// <summary>
    /// The record prefix <c>torch.save</c> uses for <paramref name="path"/>: the file name without its last extension;
    /// <see cref="DefaultArchiveName"/> when that is empty or not plain ASCII (torch then writes through a buffer).
    /// </summary>
    public static string ArchiveNameFor(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string stem = Path.GetFileNameWithoutExtension(path);
        if (stem.Length == 0 || !Ascii.IsValid(stem) || stem.AsSpan().IndexOfAny('\\', '\0') >= 0) return DefaultArchiveName;
        return stem;
    }

    private sealed record WritePlan(List<(string Name, int Tensor)> Entries, List<PickledTensor> Pickled, List<TensorToWrite> Sources);

    private static WritePlan Plan(IEnumerable<TensorToWrite> tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        var entries = new List<(string, int)>();
        var pickled = new List<PickledTensor>();
        var sources = new List<TensorToWrite>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var t in tensors)
        {
            ArgumentNullException.ThrowIfNull(t);
            if (!names.Add(t.Name)) throw new ArgumentException($"tensor name '{t.Name}' appears twice", nameof(tensors));
            int index = sources.FindIndex(s => s.SharesValuesWith(t));
            if (index < 0)
            {
                index = sources.Count;
                sources.Add(t);
                // Keys as torch ≥ 1.9 gives them: "0", "1", … in order of first use.
                pickled.Add(new PickledTensor(index.ToString(CultureInfo.InvariantCulture), t.DType, t.ElementCount,
                    [.. t.Shape], TensorInfo.ContiguousStrides(t.Shape)));
            }
            entries.Add((t.Name, index));
        }
        return new WritePlan(entries, pickled, sources);
    }

    private static void WritePlanned(Stream stream, WritePlan plan, string archiveName, bool writeByteOrder)
    {
        var zip = new TorchZipArchiveWriter(stream);
        string prefix = archiveName + "/";
        zip.WriteRecord(prefix + "data.pkl", StateDictPickler.Pickle(plan.Entries, plan.Pickled));
        if (writeByteOrder) zip.WriteRecord(prefix + "byteorder", Encoding.ASCII.GetBytes("little"));
        // torch < 2.7 writes the storages sorted by key as strings: data/0, data/1, data/10, data/2, …
        var order = Enumerable.Range(0, plan.Sources.Count).OrderBy(i => plan.Pickled[i].StorageKey, StringComparer.Ordinal);
        foreach (int i in order)
        {
            var source = plan.Sources[i];
            zip.WriteRecord(prefix + "data/" + plan.Pickled[i].StorageKey, source.ByteCount, sink => TensorBytes.Write(source.Source, source.DType, sink));
        }
        zip.WriteRecord(prefix + "version", "3\n"u8);
        zip.Finish();
    }
}
