namespace WeightPort.Formats.Pickle;

/// <summary>Python's <c>None</c>.</summary>
internal sealed class PickleNone : PickleValue
{
    private PickleNone() { }

    /// <summary>The single instance.</summary>
    public static PickleNone Instance { get; } = new();

    /// <inheritdoc />
    public override string TypeName => "NoneType";

    /// <inheritdoc />
    public override string Described => "None";

    /// <inheritdoc />
    public override string ToString() => "None";
}
