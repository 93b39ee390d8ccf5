using WeightPort.Fastai;
using WeightPort.Tensors;

namespace WeightPort.Conversion;

/// <summary>One output tensor of a <see cref="ConversionPlan"/>: where it comes from, its name and its output type.</summary>
public sealed class PlannedTensor
{
    internal PlannedTensor(string targetName, string sourcePath, TensorInfo source, DType outputDType, bool? castLossless, FastaiRole? role, int index)
    {
        TargetName = targetName;
        SourcePath = sourcePath;
        Source = source;
        OutputDType = outputDType;
        CastLossless = castLossless;
        Role = role;
        Index = index;
    }

    /// <summary>The name to write (canonical, or the source name for passthrough).</summary>
    public string TargetName { get; }

    /// <summary>The tensor's path in the checkpoint.</summary>
    public string SourcePath { get; }

    /// <summary>The source view.</summary>
    public TensorInfo Source { get; }

    /// <summary>The type to write: the source type, or the requested cast.</summary>
    public DType OutputDType { get; }

    /// <summary>Null when not cast; else whether every value survives the cast and back bit for bit.</summary>
    public bool? CastLossless { get; }

    /// <summary>The AWD-LSTM role, null for passthrough.</summary>
    internal FastaiRole? Role { get; }

    /// <summary>The layer or head block index of the role (0 otherwise).</summary>
    internal int Index { get; }

    /// <summary>True when <see cref="OutputDType"/> differs from the source type.</summary>
    public bool IsCast => OutputDType != Source.DType;

    /// <summary>The shape (unchanged by the conversion).</summary>
    public IReadOnlyList<long> Shape => Source.Shape;

    /// <summary>Bytes of the output tensor.</summary>
    public long OutputByteCount => Source.ElementCount * OutputDType.ElementSize();

    /// <summary>Writes the output bytes (contiguous, little-endian, <see cref="OutputDType"/>) in bounded chunks.</summary>
    /// <param name="stream">The destination.</param>
    /// <exception cref="IOException">Reading the source or writing the stream failed.</exception>
    public void WriteTo(Stream stream) => TensorBytes.WriteTo(Source, OutputDType, stream);

    /// <summary>Copies the output bytes (contiguous, little-endian, <see cref="OutputDType"/>) into <paramref name="destination"/>.</summary>
    /// <param name="destination">At least <see cref="OutputByteCount"/> bytes; a tensor library's own buffer, for instance.</param>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than <see cref="OutputByteCount"/>.</exception>
    public void CopyOutputBytesTo(Span<byte> destination)
    {
        if (destination.Length < OutputByteCount)
            throw new ArgumentException($"'{TargetName}' needs {OutputByteCount:N0} bytes, the destination holds {destination.Length:N0}", nameof(destination));
        TensorBytes.CopyTo(Source, OutputDType, destination);
    }

    /// <summary>The output bytes as a new array.</summary>
    /// <exception cref="IOException">Reading the source failed.</exception>
    public byte[] ToOutputBytes()
    {
        var bytes = new byte[checked((int)OutputByteCount)];
        CopyOutputBytesTo(bytes);
        return bytes;
    }

    /// <summary>
    /// The values as <see cref="ToFloat32Array"/> gives them, but read in place from the memory-mapped file when it
    /// allows (float32, little-endian, contiguous, aligned, no cast). Mapped memory stays valid while the checkpoint is
    /// open, and while pinned after that.
    /// </summary>
    internal ReadOnlyMemory<float> ToFloat32Memory() =>
        (IsCast ? null : MappedFloatMemory.TryCreate(Source)) ?? ToFloat32Array();

    /// <summary>The values as written (after the cast, if any), as float32, row-major.</summary>
    internal float[] ToFloat32Array()
    {
        var values = Source.ToFloat32Array();
        if (IsCast && OutputDType is DType.Float16 or DType.BFloat16)
            for (int i = 0; i < values.Length; i++) values[i] = TensorComparison.RoundTo(values[i], OutputDType);
        return values;
    }
}
