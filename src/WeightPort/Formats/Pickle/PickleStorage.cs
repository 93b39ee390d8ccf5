using WeightPort.Tensors;

namespace WeightPort.Formats.Pickle;

/// <summary>
/// A storage named by a persistent id (<c>('storage', FloatStorage, key, location, numel[, view])</c>). The format reader
/// binds it to the bytes in the file (<see cref="Storage"/>) once it knows where they are.
/// </summary>
internal sealed class PickleStorage : PickleValue
{
    private TensorStorage? _storage;

    /// <summary>Creates an unbound reference to a whole storage.</summary>
    /// <param name="key">The storage key in the file.</param>
    /// <param name="dtype">The element type of the storage class (uint8 for <c>UntypedStorage</c>).</param>
    /// <param name="elementCount">The declared element count (bytes for an untyped storage).</param>
    /// <param name="location">The device recorded by PyTorch.</param>
    /// <param name="untyped">True for <c>UntypedStorage</c> (its element count is in bytes).</param>
    public PickleStorage(string key, DType dtype, long elementCount, string location, bool untyped = false)
    {
        Key = key;
        DType = dtype;
        ElementCount = elementCount;
        Location = location;
        IsUntyped = untyped;
    }

    /// <summary>Creates a legacy storage view: <c>root[offset:offset + size]</c> in elements, under its own key.</summary>
    /// <param name="viewKey">The view's key.</param>
    /// <param name="root">The storage it slices.</param>
    /// <param name="viewOffset">First element of the view in <paramref name="root"/>.</param>
    /// <param name="viewSize">Elements in the view.</param>
    public PickleStorage(string viewKey, PickleStorage root, long viewOffset, long viewSize)
        : this(viewKey, root.DType, viewSize, root.Location)
    {
        Root = root;
        ViewOffset = viewOffset;
    }

    /// <summary>The storage key.</summary>
    public string Key { get; }
    /// <summary>The element type.</summary>
    public DType DType { get; }
    /// <summary>Declared element count (of the view, for a view).</summary>
    public long ElementCount { get; }
    /// <summary>The device location.</summary>
    public string Location { get; }
    /// <summary>For a legacy storage view (or a tar view), the storage it slices; null otherwise.</summary>
    public PickleStorage? Root { get; }
    /// <summary>Element offset of a view in <see cref="Root"/> (0 when not a view).</summary>
    public long ViewOffset { get; }
    /// <summary>True for an <c>UntypedStorage</c>.</summary>
    public bool IsUntyped { get; }

    /// <summary>The bound storage.</summary>
    /// <exception cref="InvalidOperationException">The reader has not bound it (never the case in a returned <see cref="Checkpoint"/>).</exception>
    public TensorStorage Storage => _storage ?? throw new InvalidOperationException($"storage '{Key}' is not bound");

    /// <summary>True once bound.</summary>
    public bool IsBound => _storage is not null;

    internal void Bind(TensorStorage storage) => _storage = storage;

    /// <inheritdoc />
    public override string TypeName => DType.StorageClass();

    /// <inheritdoc />
    public override string ToString() => $"{DType.StorageClass()}('{Key}', {ElementCount})";
}
