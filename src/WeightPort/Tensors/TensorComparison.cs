using System.Buffers.Binary;

namespace WeightPort.Tensors;

/// <summary>
/// Tensor against tensor, a chunk of <see cref="TensorChunkReader.ChunkElements"/> at a time, and output against
/// reference, all through the one <see cref="ElementComparison"/>.
/// </summary>
internal static class TensorComparison
{
    /// <summary>
    /// Element-wise bitwise comparison of two tensors of the same shape. Same dtype: element bytes are compared (so
    /// -0.0 ≠ 0.0 and NaN payloads count); different dtypes: the float32 bit patterns of the converted values.
    /// </summary>
    /// <exception cref="ArgumentException">The shapes differ.</exception>
    public static ValueDifference Compare(TensorInfo a, TensorInfo b)
    {
        if (!a.Shape.SequenceEqual(b.Shape)) throw new ArgumentException("shapes differ");
        var ra = new TensorChunkReader(a);
        var rb = new TensorChunkReader(b);
        bool sameType = a.DType == b.DType;
        int esA = a.DType.ElementSize(), esB = b.DType.ElementSize();
        var bytesA = new byte[TensorChunkReader.ChunkElements * esA];
        var bytesB = new byte[TensorChunkReader.ChunkElements * esB];
        var fa = new float[TensorChunkReader.ChunkElements];
        var fb = new float[TensorChunkReader.ChunkElements];
        var comparison = new ElementComparison(Tolerance.Exact);
        while (ra.Remaining > 0)
        {
            int n = ra.ReadBytes(bytesA);
            rb.ReadBytes(bytesB.AsSpan(0, n * esB));
            var spanA = bytesA.AsSpan(0, n * esA);
            var spanB = bytesB.AsSpan(0, n * esB);
            // Redundant copies are identical almost always, so a chunk whose bytes match skips the per-element work.
            if (sameType && spanA.SequenceEqual(spanB))
            {
                comparison.AddIdentical(n);
                continue;
            }
            ElementConversion.ToFloat32(a.DType, spanA, fa.AsSpan(0, n));
            ElementConversion.ToFloat32(b.DType, spanB, fb.AsSpan(0, n));
            if (!sameType)
            {
                comparison.Add(fa.AsSpan(0, n), fb.AsSpan(0, n));
                continue;
            }
            for (int i = 0; i < n; i++)
                comparison.Add(fa[i], fb[i], !spanA.Slice(i * esA, esA).SequenceEqual(spanB.Slice(i * esB, esB)));
        }
        return Difference(comparison, a.Shape);
    }

    /// <summary>
    /// Compares <paramref name="actual"/> with the reference <paramref name="expected"/> under <paramref name="tolerance"/>.
    /// When <paramref name="rowLength"/> is given, the arrays are rows of that many classes and the top-1 agreement is
    /// computed per row.
    /// </summary>
    /// <exception cref="ArgumentException">The lengths differ or do not divide into rows.</exception>
    public static ComparisonResult Compare(string name, ReadOnlySpan<float> actual, ReadOnlySpan<float> expected, Tolerance tolerance, int? rowLength = null)
    {
        if (actual.Length != expected.Length)
            throw new ArgumentException($"{name}: {actual.Length} values against a reference of {expected.Length}");
        if (rowLength is int rl && (rl <= 0 || actual.Length % rl != 0))
            throw new ArgumentException($"{name}: {actual.Length} values do not split into rows of {rl}");
        var comparison = new ElementComparison(tolerance);
        comparison.Add(actual, expected);
        double? top1 = rowLength is int r ? Top1(actual, expected, r) : null;
        bool passed = comparison.ElementsPass && comparison.Cosine >= tolerance.MinCosine && (top1 is null || top1 >= tolerance.MinTop1Agreement);
        return new ComparisonResult(name, comparison.Elements, comparison.Differing, comparison.MaxAbs, comparison.MaxRel, comparison.Cosine,
            top1, comparison.Violations, comparison.WorstIndex, passed);
    }

    /// <summary>
    /// Counts the elements that change when cast to <paramref name="target"/> and back (bitwise; NaN staying NaN counts as kept).
    /// </summary>
    public static ValueDifference CastRoundTrip(TensorInfo tensor, DType target)
    {
        var reader = new TensorChunkReader(tensor);
        int es = tensor.DType.ElementSize();
        var raw = new byte[TensorChunkReader.ChunkElements * es];
        var f = new float[TensorChunkReader.ChunkElements];
        var casted = new byte[TensorChunkReader.ChunkElements * target.ElementSize()];
        var back = new float[TensorChunkReader.ChunkElements];
        var comparison = new ElementComparison(Tolerance.Exact);
        while (reader.Remaining > 0)
        {
            int n = reader.ReadBytes(raw);
            var bytes = raw.AsSpan(0, n * es);
            ElementConversion.ToFloat32(tensor.DType, bytes, f.AsSpan(0, n));
            var c = casted.AsSpan(0, n * target.ElementSize());
            ElementConversion.FromFloat32(f.AsSpan(0, n), target, c);
            ElementConversion.ToFloat32(target, c, back.AsSpan(0, n));
            for (int i = 0; i < n; i++)
            {
                if (tensor.DType == DType.Float64)
                {
                    // float64 loses precision on the way to float32 already: compare in double.
                    double v = BinaryPrimitives.ReadDoubleLittleEndian(bytes[(i * 8)..]);
                    comparison.Add(v, back[i], !v.Equals((double)back[i]));
                }
                else
                {
                    bool kept = BitConverter.SingleToInt32Bits(f[i]) == BitConverter.SingleToInt32Bits(back[i]) || (float.IsNaN(f[i]) && float.IsNaN(back[i]));
                    comparison.Add(f[i], back[i], !kept);
                }
            }
        }
        return Difference(comparison, tensor.Shape);
    }

    private static ValueDifference Difference(ElementComparison c, IReadOnlyList<long> shape) =>
        new(c.Differing, c.Elements, c.MaxAbs, c.FirstDifferingIndex,
            c.FirstDifferingIndex < 0 ? [] : Unravel(c.FirstDifferingIndex, shape), c.FirstA, c.FirstB);

    private static double Top1(ReadOnlySpan<float> actual, ReadOnlySpan<float> expected, int rowLength)
    {
        int rows = actual.Length / rowLength;
        if (rows == 0) return 1.0;
        int agree = 0;
        for (int r = 0; r < rows; r++)
        {
            if (ArgMax(actual.Slice(r * rowLength, rowLength)) == ArgMax(expected.Slice(r * rowLength, rowLength))) agree++;
        }
        return (double)agree / rows;
    }

    private static int ArgMax(ReadOnlySpan<float> v)
    {
        int best = 0;
        for (int i = 1; i < v.Length; i++) if (v[i] > v[best]) best = i;
        return best;
    }

    /// <summary>The multi-dimensional index of row-major flat index <paramref name="flat"/>.</summary>
    public static long[] Unravel(long flat, IReadOnlyList<long> shape)
    {
        var index = new long[shape.Count];
        for (int d = shape.Count - 1; d >= 0; d--)
        {
            long size = Math.Max(shape[d], 1);
            index[d] = flat % size;
            flat /= size;
        }
        return index;
    }

    /// <summary>Rounds a float32 to the precision of <paramref name="type"/> (identity for float32 and wider).</summary>
    internal static float RoundTo(float value, DType type) => type switch
    {
        DType.Float16 => (float)(Half)value,
        DType.BFloat16 => BitConverter.Int32BitsToSingle(ElementConversion.ToBFloat16(value) << 16),
        _ => value,
    };

    /// <summary>The spacing of <paramref name="type"/>'s values at <paramref name="value"/>'s magnitude.</summary>
    internal static double Ulp(float value, DType type)
    {
        (int mantissa, int minExp) = type switch
        {
            DType.Float16 => (10, -14),
            DType.BFloat16 => (7, -126),
            _ => (23, -126),
        };
        double abs = Math.Abs((double)value);
        int exp = abs == 0 ? minExp : Math.Max(Math.ILogB(abs), minExp);
        return Math.ScaleB(1.0, exp - mantissa);
    }
}
