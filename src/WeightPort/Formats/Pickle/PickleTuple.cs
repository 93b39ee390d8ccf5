namespace WeightPort.Formats.Pickle;

/// <summary>A Python <c>tuple</c> (also <c>torch.Size</c>).</summary>
/// <param name="items">The items.</param>
internal sealed class PickleTuple(IReadOnlyList<PickleValue> items) : PickleValue
{
    /// <summary>The empty tuple.</summary>
    public static PickleTuple Empty { get; } = new([]);

    /// <summary>The items.</summary>
    public IReadOnlyList<PickleValue> Items { get; } = items;

    /// <inheritdoc />
    public override string TypeName => "tuple";

    /// <inheritdoc />
    public override string ToString() => $"tuple[{Items.Count}]";
}
