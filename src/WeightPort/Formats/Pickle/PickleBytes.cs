namespace WeightPort.Formats.Pickle;

/// <summary>A Python <c>bytes</c> or <c>bytearray</c>.</summary>
/// <param name="value">The bytes (owned by this node).</param>
/// <param name="isByteArray">True for <c>bytearray</c>.</param>
internal sealed class PickleBytes(byte[] value, bool isByteArray = false) : PickleValue
{
    /// <summary>The bytes.</summary>
    public ReadOnlyMemory<byte> Value { get; } = value;

    /// <summary>True for a <c>bytearray</c>, false for <c>bytes</c>.</summary>
    public bool IsByteArray { get; } = isByteArray;

    /// <inheritdoc />
    public override string TypeName => IsByteArray ? "bytearray" : "bytes";

    /// <inheritdoc />
    public override string ToString() => $"{TypeName}[{Value.Length}]";
}
