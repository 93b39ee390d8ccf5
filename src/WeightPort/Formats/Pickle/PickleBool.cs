namespace WeightPort.Formats.Pickle;

/// <summary>A Python <c>bool</c>.</summary>
internal sealed class PickleBool : PickleValue
{
    private PickleBool(bool value) => Value = value;

    /// <summary><c>True</c>.</summary>
    public static PickleBool True { get; } = new(true);
    /// <summary><c>False</c>.</summary>
    public static PickleBool False { get; } = new(false);

    /// <summary>Returns the shared instance for <paramref name="value"/>.</summary>
    public static PickleBool Of(bool value) => value ? True : False;

    /// <summary>The value.</summary>
    public bool Value { get; }

    /// <inheritdoc />
    public override string TypeName => "bool";

    /// <inheritdoc />
    public override string ToString() => Value ? "True" : "False";
}
