using System.Runtime.InteropServices;
using WeightPort.Formats;
using WeightPort.IO;
using WeightPort.Tensors;

namespace WeightPort.Tests.Fastai;

/// <summary>
/// Builds <see cref="Checkpoint"/> objects in memory: each tensor gets its own storage over a
/// <see cref="MemoryByteSource"/> unless it is added as a view of another (shared storage, as torch.save writes tied
/// parameters). Entries keep insertion order and can be replaced or removed before <see cref="Build"/>.
/// </summary>
internal sealed class CheckpointBuilder
{
    private readonly List<(string Path, Func<Dictionary<string, TensorInfo>, TensorInfo> Make)> _entries = [];
    private readonly Dictionary<string, TensorInfo> _hidden = new(StringComparer.Ordinal);
    private int _storageCounter;

    public IReadOnlyList<string> Paths => [.. _entries.Select(e => e.Path)];

    /// <summary>A tensor with its own storage, values given as float32 and stored as <paramref name="dtype"/>.</summary>
    public CheckpointBuilder Add(string path, float[] values, long[] shape, DType dtype = DType.Float32)
    {
        var info = MakeTensor(values, shape, dtype);
        return Set(path, _ => info);
    }

    /// <summary>An int64 tensor (BatchNorm's num_batches_tracked).</summary>
    public CheckpointBuilder AddInt64(string path, long[] values, long[] shape)
    {
        var bytes = MemoryMarshal.AsBytes(values.AsSpan()).ToArray();
        var storage = new TensorStorage((_storageCounter++).ToString(), DType.Int64, values.Length, new MemoryByteSource(bytes, path), 0);
        var info = TensorInfo.Create(storage, 0, shape);
        return Set(path, _ => info);
    }

    /// <summary>The same view as <paramref name="of"/> (shared storage, same offset).</summary>
    public CheckpointBuilder AddSameView(string path, string of) => Set(path, built => built[of]);

    /// <summary>A 1-D storage that is not itself a checkpoint entry, for <see cref="AddView"/> (a cuDNN flat buffer).</summary>
    public CheckpointBuilder AddHiddenStorage(string id, float[] values)
    {
        _hidden[id] = MakeTensor(values, [values.Length], DType.Float32);
        return this;
    }

    /// <summary>A view into <paramref name="of"/>'s storage (an entry or a hidden storage) at <paramref name="offset"/> elements.</summary>
    public CheckpointBuilder AddView(string path, string of, long offset, long[] shape) =>
        Set(path, built => TensorInfo.Create((built.TryGetValue(of, out var t) ? t : _hidden[of]).Storage, offset, shape));

    public CheckpointBuilder Remove(string path)
    {
        int i = _entries.FindIndex(e => e.Path == path);
        if (i < 0) throw new ArgumentException($"no entry '{path}'");
        _entries.RemoveAt(i);
        return this;
    }

    public Checkpoint Build(string path = "memory.pth")
    {
        var built = new Dictionary<string, TensorInfo>(StringComparer.Ordinal);
        var list = new List<NamedTensor>();
        foreach (var (p, make) in _entries)
        {
            var t = make(built);
            built[p] = t;
            list.Add(new NamedTensor(p, t));
        }
        return new Checkpoint(path, CheckpointFormat.PyTorchZip, list, null, [], new Dictionary<string, string>());
    }

    private CheckpointBuilder Set(string path, Func<Dictionary<string, TensorInfo>, TensorInfo> make)
    {
        int i = _entries.FindIndex(e => e.Path == path);
        if (i >= 0) _entries[i] = (path, make);
        else _entries.Add((path, make));
        return this;
    }

    private TensorInfo MakeTensor(float[] values, long[] shape, DType dtype)
    {
        long count = shape.Aggregate(1L, (a, b) => a * b);
        if (count != values.Length) throw new ArgumentException($"shape [{string.Join(",", shape)}] needs {count} values, got {values.Length}");
        var bytes = new byte[values.Length * dtype.ElementSize()];
        ElementConversion.FromFloat32(values, dtype, bytes);
        var storage = new TensorStorage((_storageCounter++).ToString(), dtype, values.Length, new MemoryByteSource(bytes), 0);
        return TensorInfo.Create(storage, 0, shape);
    }
}
