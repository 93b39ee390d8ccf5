using static TorchSharp.torch;

namespace WeightPort.TorchSharp.Loading;

/// <summary>One tensor as WeightPort's plan writes it: canonical name, shape, type, and a copier of its bytes.</summary>
internal sealed class CoreTensor
{
    private readonly Action<Span<byte>> _copy;

    internal CoreTensor(string name, long[] shape, ScalarType dtype, long byteCount, Action<Span<byte>> copy)
    {
        Name = name;
        Shape = shape;
        DType = dtype;
        ByteCount = byteCount;
        _copy = copy;
    }

    /// <summary>The canonical name.</summary>
    public string Name { get; }

    /// <summary>The shape.</summary>
    public long[] Shape { get; }

    /// <summary>The output type (after the requested cast).</summary>
    public ScalarType DType { get; }

    /// <summary>Bytes of the contiguous output.</summary>
    public long ByteCount { get; }

    /// <summary>Writes the contiguous little-endian bytes (exactly <see cref="ByteCount"/>) into <paramref name="destination"/>.</summary>
    public void CopyTo(Span<byte> destination) => _copy(destination);
}
