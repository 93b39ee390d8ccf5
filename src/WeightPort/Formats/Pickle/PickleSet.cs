namespace WeightPort.Formats.Pickle;

/// <summary>A Python <c>set</c> or <c>frozenset</c>, items in pickle order (duplicates by value removed for scalar items).</summary>
/// <param name="isFrozen">True for <c>frozenset</c>.</param>
internal sealed class PickleSet(bool isFrozen = false) : PickleValue
{
    private readonly PickleDict _members = new();

    /// <summary>True for <c>frozenset</c>.</summary>
    public bool IsFrozen { get; } = isFrozen;

    /// <summary>The items.</summary>
    public IReadOnlyList<PickleValue> Items => [.. _members.Items.Select(p => p.Key)];

    /// <inheritdoc />
    public override string TypeName => IsFrozen ? "frozenset" : "set";

    internal void Add(PickleValue item) => _members.Set(item, PickleNone.Instance);

    internal int Count => _members.Items.Count;

    /// <inheritdoc />
    public override string ToString() => $"{TypeName}[{_members.Items.Count}]";
}
