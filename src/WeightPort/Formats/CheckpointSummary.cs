using WeightPort.Tensors;

namespace WeightPort.Formats;

/// <summary>
/// The facts <c>weightport inspect</c> reports about an opened checkpoint: storages numbered in order of first use,
/// the tensors that share each, and totals. Text and JSON renderers both read this, so they cannot disagree.
/// </summary>
internal sealed class CheckpointSummary
{
    private CheckpointSummary(Checkpoint checkpoint, long fileSize, IReadOnlyList<TensorStorage> storages, IReadOnlyDictionary<TensorStorage, int> ids)
    {
        Checkpoint = checkpoint;
        FileSize = fileSize;
        Storages = storages;
        StorageIds = ids;
    }

    /// <summary>Summarises <paramref name="checkpoint"/>.</summary>
    public static CheckpointSummary Create(Checkpoint checkpoint)
    {
        var ids = new Dictionary<TensorStorage, int>(ReferenceEqualityComparer.Instance);
        var storages = new List<TensorStorage>();
        foreach (var t in checkpoint.Tensors)
        {
            if (ids.TryAdd(t.Tensor.Storage, storages.Count)) storages.Add(t.Tensor.Storage);
        }
        long size = File.Exists(checkpoint.Path) ? new FileInfo(checkpoint.Path).Length : 0;
        return new CheckpointSummary(checkpoint, size, storages, ids);
    }

    /// <summary>The checkpoint summarised.</summary>
    public Checkpoint Checkpoint { get; }
    /// <summary>Size of the file in bytes.</summary>
    public long FileSize { get; }
    /// <summary>Distinct storages in order of first use.</summary>
    public IReadOnlyList<TensorStorage> Storages { get; }
    /// <summary>Storage → its number in <see cref="Storages"/>.</summary>
    public IReadOnlyDictionary<TensorStorage, int> StorageIds { get; }

    /// <summary>Groups of two or more tensors that view one storage: (storage id, tensor paths).</summary>
    public IReadOnlyList<(int StorageId, IReadOnlyList<string> Paths)> SharingGroups =>
        [.. Checkpoint.Tensors.GroupBy(t => StorageIds[t.Tensor.Storage]).Where(g => g.Count() > 1)
            .Select(g => (g.Key, (IReadOnlyList<string>)[.. g.Select(t => t.Path)]))];

    /// <summary>Sum of the tensors' contiguous sizes (what a naive copy of every tensor would take).</summary>
    public long TensorBytes => Checkpoint.Tensors.Sum(t => t.Tensor.ByteCount);

    /// <summary>Sum of the distinct storages' sizes (what is really stored).</summary>
    public long StorageBytes => Storages.Sum(s => s.ByteLength);

    /// <summary>Total elements over all tensors.</summary>
    public long TensorElements => Checkpoint.Tensors.Sum(t => t.Tensor.ElementCount);
}
