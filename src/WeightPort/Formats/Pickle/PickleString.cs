namespace WeightPort.Formats.Pickle;

/// <summary>A Python <c>str</c> (also a Python 2 <c>str</c> decoded as UTF-8, as <c>torch.load</c> does).</summary>
/// <param name="value">The text.</param>
internal sealed class PickleString(string value) : PickleValue
{
    /// <summary>The text.</summary>
    public string Value { get; } = value;

    /// <inheritdoc />
    public override string TypeName => "str";

    /// <inheritdoc />
    public override string ToString() => "'" + Value + "'";
}
