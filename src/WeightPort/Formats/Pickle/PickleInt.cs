using System.Globalization;
using System.Numerics;

namespace WeightPort.Formats.Pickle;

/// <summary>A Python <c>int</c> of any size.</summary>
/// <param name="value">The value.</param>
internal sealed class PickleInt(BigInteger value) : PickleValue
{
    /// <summary>The value.</summary>
    public BigInteger Value { get; } = value;

    /// <summary>True when the value fits a <see cref="long"/>.</summary>
    public bool TryGetInt64(out long value)
    {
        if (Value >= long.MinValue && Value <= long.MaxValue)
        {
            value = (long)Value;
            return true;
        }
        value = 0;
        return false;
    }

    /// <inheritdoc />
    public override string TypeName => "int";

    /// <inheritdoc />
    public override string ToString() => Value.ToString(CultureInfo.InvariantCulture);
}
