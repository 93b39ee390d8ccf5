using WeightPort.Tensors;

namespace WeightPort.Formats;

/// <summary>
/// One tensor for a writer: the name to write it under, the view its values come from (usually memory-mapped from the
/// checkpoint being converted) and the element type to write, which may differ from the source's by a cast among
/// float32, float16 and bfloat16. Writers stream the bytes from <see cref="Source"/> in bounded chunks.
/// </summary>
/// <remarks>
/// Sharing: entries whose sources are the same view (<see cref="TensorInfo.IsSameViewAs"/>) and whose output types
/// match are one tensor under several names. The PyTorch zip writer stores such a tensor once and gives every name the
/// same storage (as <c>torch.save</c> does for tied weights); formats without sharing (safetensors, TorchSharp) write
/// the values under each name.
/// </remarks>
public sealed class TensorToWrite
{
    /// <summary>Creates an entry.</summary>
    /// <param name="name">The key to write (may be empty: a single tensor's path is).</param>
    /// <param name="source">The values.</param>
    /// <param name="targetDType">The element type to write; null keeps the source's.</param>
    /// <exception cref="ArgumentException">A name with an unpaired surrogate, or a cast other than among float32, float16 and bfloat16.</exception>
    public TensorToWrite(string name, TensorInfo source, DType? targetDType = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(source);
        if (!IsWellFormedUtf16(name)) throw new ArgumentException($"tensor name '{name}' contains an unpaired surrogate and has no UTF-8 form", nameof(name));
        DType target = targetDType ?? source.DType;
        if (!CanCast(source.DType, target))
            throw new ArgumentException($"tensor '{name}': cannot write {source.DType.TorchName()} as {target.TorchName()}; only float32, float16 and bfloat16 convert into each other", nameof(targetDType));
        Name = name;
        Source = source;
        DType = target;
        ByteCount = checked(source.ElementCount * target.ElementSize());
    }

    /// <summary>The key written.</summary>
    public string Name { get; }

    /// <summary>The view the values are read from.</summary>
    public TensorInfo Source { get; }

    /// <summary>The element type written.</summary>
    public DType DType { get; }

    /// <summary>True when the values are converted on the way out.</summary>
    public bool IsCast => DType != Source.DType;

    /// <summary>The shape (that of the source).</summary>
    public IReadOnlyList<long> Shape => Source.Shape;

    /// <summary>Number of elements.</summary>
    public long ElementCount => Source.ElementCount;

    /// <summary>Bytes written for the values: elements × the output element size.</summary>
    public long ByteCount { get; }

    /// <summary>True when <paramref name="from"/> can be written as <paramref name="to"/>: equal types, or both among float32, float16 and bfloat16 (every float16 and bfloat16 value is exact in float32, so conversions round once).</summary>
    public static bool CanCast(DType from, DType to) => from == to || (IsHalfOrSingle(from) && IsHalfOrSingle(to));

    /// <summary>
    /// Every tensor of <paramref name="checkpoint"/> under its path, optionally writing float32, float16 and bfloat16
    /// tensors as <paramref name="floatDType"/> (other types are kept).
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="floatDType"/> is not float32, float16 or bfloat16.</exception>
    public static IReadOnlyList<TensorToWrite> FromCheckpoint(Checkpoint checkpoint, DType? floatDType = null)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        if (floatDType is { } f && !IsHalfOrSingle(f))
            throw new ArgumentException($"floatDType must be float32, float16 or bfloat16, not {f.TorchName()}", nameof(floatDType));
        var result = new List<TensorToWrite>(checkpoint.Tensors.Count);
        foreach (var t in checkpoint.Tensors)
        {
            DType? target = floatDType is { } ft && IsHalfOrSingle(t.Tensor.DType) ? ft : null;
            result.Add(new TensorToWrite(t.Path, t.Tensor, target));
        }
        return result;
    }

    /// <summary>True when both entries write the same values from the same view (tied names).</summary>
    internal bool SharesValuesWith(TensorToWrite other) =>
        DType == other.DType && (ReferenceEquals(Source, other.Source) || Source.IsSameViewAs(other.Source));

    private static bool IsWellFormedUtf16(string s)
    {
        for (int i = 0; i < s.Length; i++)
        {
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1])) i++;
            else if (char.IsSurrogate(s[i])) return false;
        }
        return true;
    }

    private static bool IsHalfOrSingle(DType t) => t is DType.Float32 or DType.Float16 or DType.BFloat16;
}
