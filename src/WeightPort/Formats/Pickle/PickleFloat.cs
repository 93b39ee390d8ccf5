using System.Globalization;

namespace WeightPort.Formats.Pickle;

/// <summary>A Python <c>float</c> (binary64).</summary>
/// <param name="value">The value.</param>
internal sealed class PickleFloat(double value) : PickleValue
{
    /// <summary>The value.</summary>
    public double Value { get; } = value;

    /// <inheritdoc />
    public override string TypeName => "float";

    /// <inheritdoc />
    public override string ToString() => Value.ToString("R", CultureInfo.InvariantCulture);
}
