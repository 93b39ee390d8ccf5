namespace WeightPort.Formats.Pickle;

/// <summary>A Python <c>list</c>. Mutable while unpickling (APPEND after a memo PUT is seen by every reference).</summary>
internal sealed class PickleList : PickleValue
{
    internal List<PickleValue> Mutable { get; } = [];

    /// <summary>The items.</summary>
    public IReadOnlyList<PickleValue> Items => Mutable;

    /// <inheritdoc />
    public override string TypeName => "list";

    /// <inheritdoc />
    public override string ToString() => $"list[{Items.Count}]";
}
