using WeightPort.Formats.Pickle;
using WeightPort.IO;
using WeightPort.Tensors;

namespace WeightPort.Formats;

/// <summary>
/// An opened checkpoint: its format, the tensors it holds under their dotted paths, the globals it uses that are not
/// allowlisted, and the object tree for pickle-based formats. Tensor bytes stay in the (memory-mapped) file until read;
/// dispose the checkpoint to release the mapping.
/// </summary>
public sealed class Checkpoint : IDisposable
{
    private readonly ByteSource[] _sources;

    /// <summary>Assembles a checkpoint. Readers call this; applications call <see cref="CheckpointReader.Open(string, CheckpointReadOptions?)"/>.</summary>
    internal Checkpoint(string path, CheckpointFormat format, IReadOnlyList<NamedTensor> tensors, PickleValue? root,
        IReadOnlyList<UnsafeGlobal> unsafeGlobals, IReadOnlyDictionary<string, string> metadata, params ByteSource[] sources)
    {
        Path = path;
        Format = format;
        Tensors = tensors;
        Root = root;
        UnsafeGlobals = unsafeGlobals;
        Metadata = metadata;
        _sources = sources;
    }

    /// <summary>The file this was read from.</summary>
    public string Path { get; }
    /// <summary>The detected format.</summary>
    public CheckpointFormat Format { get; }
    /// <summary>Every reachable tensor, in file (pickle) order, under its dotted path.</summary>
    public IReadOnlyList<NamedTensor> Tensors { get; }
    /// <summary>The object tree, for pickle-based formats; null for safetensors and TorchSharp files.</summary>
    internal PickleValue? Root { get; }
    /// <summary>Globals outside the allowlist, with where they occur. Non-empty only when the reader was asked to tolerate them.</summary>
    public IReadOnlyList<UnsafeGlobal> UnsafeGlobals { get; private set; }
    /// <summary>Format-level metadata: safetensors <c>__metadata__</c>, the zip's <c>byteorder</c> and <c>version</c>, legacy <c>sys_info</c>.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>The distinct storages, in order of first use by <see cref="Tensors"/>.</summary>
    internal IReadOnlyList<TensorStorage> Storages => [.. Tensors.Select(t => t.Tensor.Storage).Distinct()];

    /// <summary>Adds what a scan found beyond what the reader met (pickles torch does not load, nested pickles), once each.</summary>
    internal void AddScanFindings(IEnumerable<UnsafeGlobal> findings)
    {
        var known = new HashSet<(string, long)>(UnsafeGlobals.Select(g => (g.Entry, g.Offset)));
        var extra = findings.Where(f => known.Add((f.Entry, f.Offset))).ToList();
        if (extra.Count > 0) UnsafeGlobals = [.. UnsafeGlobals, .. extra];
    }

    /// <summary>Looks a tensor up by its exact dotted path.</summary>
    public TensorInfo? Find(string path)
    {
        foreach (var t in Tensors) if (t.Path == path) return t.Tensor;
        return null;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var s in _sources) s.Dispose();
    }
}
