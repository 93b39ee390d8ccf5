using WeightPort.Tensors;

namespace WeightPort.Fastai;

/// <summary>One output tensor of a <see cref="ConversionPlan"/>: where it comes from, its canonical name and output type.</summary>
/// <param name="TargetName">The name to write (canonical, or the source name for passthrough).</param>
/// <param name="SourcePath">The tensor's path in the checkpoint.</param>
/// <param name="Source">The source view.</param>
/// <param name="OutputDType">The type to write: the source type, or the requested cast.</param>
/// <param name="CastLossless">Null when not cast; else whether every value survives the cast and back bit for bit.</param>
/// <param name="Role">The AWD-LSTM role, null for passthrough.</param>
/// <param name="Index">The layer or head block index of the role (0 otherwise).</param>
public sealed record PlannedTensor(string TargetName, string SourcePath, TensorInfo Source, DType OutputDType, bool? CastLossless, FastaiRole? Role, int Index)
{
    /// <summary>True when <see cref="OutputDType"/> differs from the source type.</summary>
    public bool IsCast => OutputDType != Source.DType;

    /// <summary>The shape (unchanged by the conversion).</summary>
    public IReadOnlyList<long> Shape => Source.Shape;

    /// <summary>Bytes of the output tensor.</summary>
    public long OutputByteCount => Source.ElementCount * OutputDType.ElementSize();

    /// <summary>Writes the output bytes (contiguous, little-endian, <see cref="OutputDType"/>) in bounded chunks.</summary>
    public void WriteTo(Stream stream) => IO.TensorBytes.WriteTo(new IO.TensorToWrite(TargetName, Source, OutputDType), stream);

    /// <summary>The output bytes as a new array.</summary>
    public byte[] ToOutputBytes()
    {
        using var ms = new MemoryStream(checked((int)OutputByteCount));
        WriteTo(ms);
        return ms.ToArray();
    }

    /// <summary>
    /// The values as <see cref="ToFloat32Array"/> gives them, but read in place from the memory-mapped file when it
    /// allows (float32, little-endian, contiguous, aligned, no cast). Mapped memory stays valid while the checkpoint is
    /// open, and while pinned after that.
    /// </summary>
    public ReadOnlyMemory<float> ToFloat32Memory() =>
        (IsCast ? null : MappedFloatMemory.TryCreate(Source)) ?? ToFloat32Array();

    /// <summary>The values as written (after the cast, if any), as float32, row-major.</summary>
    public float[] ToFloat32Array()
    {
        var values = Source.ToFloat32Array();
        if (IsCast && OutputDType is DType.Float16 or DType.BFloat16)
            for (int i = 0; i < values.Length; i++) values[i] = TensorComparison.RoundTo(values[i], OutputDType);
        return values;
    }
}
