using WeightPort.Formats.Pickle;
using WeightPort.Tensors;

namespace WeightPort.Formats.Torch;

/// <summary>
/// Decodes torch's storage persistent ids (docs/formats.md §3.1) into <see cref="PickleStorage"/> references, one per
/// key (so tensors that share a storage share the reference), and one per legacy view key.
/// </summary>
internal sealed class StorageIds(string entry, bool legacy)
{
    private readonly Dictionary<string, PickleStorage> _roots = new(StringComparer.Ordinal);
    private readonly Dictionary<string, PickleStorage> _views = new(StringComparer.Ordinal);

    /// <summary>The root storages in first-reference order.</summary>
    public List<PickleStorage> Roots { get; } = [];

    /// <summary>Legacy storage views in first-reference order.</summary>
    public IEnumerable<PickleStorage> Views => _views.Values;

    public PickleValue Load(PickleValue id, long offset)
    {
        if (id is not PickleTuple { Items.Count: > 0 } t)
            throw Fail(CheckpointError.MalformedPickle, $"persistent id is {id.Described}, not a ('storage', …) tuple", offset);
        var a = t.Items;
        if (a[0] is PickleString { Value: "module" })
            throw Fail(CheckpointError.UnsafeGlobal, "the checkpoint pickles a whole nn.Module (persistent id 'module'): its classes would have to be imported; save the state_dict instead", offset);
        if (a[0] is not PickleString { Value: "storage" })
            throw Fail(CheckpointError.MalformedPickle, $"persistent id starts with {Describe(a[0])}, not 'storage'", offset);
        int expected = legacy ? 6 : 5;
        if (a.Count != expected)
            throw Fail(CheckpointError.MalformedPickle, $"storage persistent id has {a.Count} items, {expected} expected", offset);
        if (!PickleAllowlist.TryGetStorageClass(a[1], out DType dtype, out bool untyped))
        {
            if (a[1] is PickleGlobal g && !g.IsAllowlisted)
                throw Fail(CheckpointError.UnsafeGlobal, $"storage type '{g.FullName}' is not an allowlisted torch storage class", offset);
            throw Fail(a[1] is PickleGlobal ? CheckpointError.UnsupportedDType : CheckpointError.MalformedPickle,
                $"storage type {Describe(a[1])} is not a supported torch storage class", offset);
        }
        if (a[2] is not PickleString key) throw Fail(CheckpointError.MalformedPickle, $"storage key is {Describe(a[2])}, not a str", offset);
        if (a[3] is not PickleString location) throw Fail(CheckpointError.MalformedPickle, $"storage location is {Describe(a[3])}, not a str", offset);
        if (a[4] is not PickleInt n || !n.TryGetInt64(out long numel) || numel < 0)
            throw Fail(CheckpointError.MalformedPickle, $"storage '{key.Value}' element count is {Describe(a[4])}", offset);

        if (_roots.TryGetValue(key.Value, out var root))
        {
            if (root.DType != dtype || root.ElementCount != numel)
                throw Fail(CheckpointError.StorageMismatch,
                    $"storage '{key.Value}' is named as {numel:N0} {dtype.TorchName()} elements here but as {root.ElementCount:N0} {root.DType.TorchName()} before", offset);
        }
        else
        {
            root = new PickleStorage(key.Value, dtype, numel, location.Value, untyped: untyped);
            _roots.Add(key.Value, root);
            Roots.Add(root);
        }
        if (!legacy || a[5] is PickleNone) return root;

        // Legacy view metadata (view_key, offset, size) in elements: storage[offset:offset + size], cached by view_key.
        if (a[5] is not PickleTuple { Items: [PickleString viewKey, PickleInt vo, PickleInt vs] }
            || !vo.TryGetInt64(out long viewOffset) || !vs.TryGetInt64(out long viewSize) || viewOffset < 0 || viewSize < 0)
            throw Fail(CheckpointError.MalformedPickle, $"view metadata of storage '{key.Value}' is {Describe(a[5])}, not (str, offset, size)", offset);
        if (viewOffset > numel || viewSize > numel - viewOffset)
            throw Fail(CheckpointError.StorageMismatch, $"view '{viewKey.Value}' [{viewOffset:N0}, +{viewSize:N0}) lies outside storage '{key.Value}' of {numel:N0} elements", offset);
        if (!_views.TryGetValue(viewKey.Value, out var view))
        {
            view = new PickleStorage(viewKey.Value, root, viewOffset, viewSize);
            _views.Add(viewKey.Value, view);
        }
        return view;
    }

    private static string Describe(PickleValue v) => v switch
    {
        PickleString s => $"'{s.Value}'",
        PickleInt i => i.Value.ToString(),
        PickleGlobal g => g.FullName,
        _ => v.Described,
    };

    private CheckpointFormatException Fail(CheckpointError error, string reason, long offset) => new(error, reason, offset: offset, entry: entry);
}
