using WeightPort.Tensors;

namespace WeightPort.Fastai;

/// <summary>Streaming value checks between tensors (chunks of <see cref="TensorChunkReader.ChunkElements"/>).</summary>
internal static class TensorComparison
{
    /// <summary>
    /// Element-wise bitwise comparison of two tensors of the same shape. Same dtype: element bytes are compared (so
    /// -0.0 ≠ 0.0 and NaN payloads count); different dtypes: the float32 bit patterns of the converted values.
    /// </summary>
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
        long differing = 0, first = -1;
        double maxAbs = 0;
        float firstA = 0, firstB = 0;
        long start = 0;
        while (ra.Remaining > 0)
        {
            int n = ra.ReadBytes(bytesA);
            rb.ReadBytes(bytesB.AsSpan(0, n * esB));
            var spanA = bytesA.AsSpan(0, n * esA);
            var spanB = bytesB.AsSpan(0, n * esB);
            if (sameType && spanA.SequenceEqual(spanB)) { start += n; continue; }
            ElementConversion.ToFloat32(a.DType, spanA, fa.AsSpan(0, n));
            ElementConversion.ToFloat32(b.DType, spanB, fb.AsSpan(0, n));
            for (int i = 0; i < n; i++)
            {
                bool differs = sameType
                    ? !spanA.Slice(i * esA, esA).SequenceEqual(spanB.Slice(i * esB, esB))
                    : BitConverter.SingleToInt32Bits(fa[i]) != BitConverter.SingleToInt32Bits(fb[i]);
                if (!differs) continue;
                differing++;
                // Subtract in float32, as PyTorch's (a - b).abs().max() reports it, so numbers match a Python check.
                double d = MathF.Abs(fa[i] - fb[i]);
                if (double.IsNaN(d)) d = double.PositiveInfinity;
                if (d > maxAbs) maxAbs = d;
                if (first < 0) { first = start + i; firstA = fa[i]; firstB = fb[i]; }
            }
            start += n;
        }
        return new ValueDifference(differing, a.ElementCount, maxAbs, first, first < 0 ? [] : Unravel(first, a.Shape), firstA, firstB);
    }

    /// <summary>
    /// Checks that <paramref name="copy"/> is what PyTorch's dropout makes of <paramref name="raw"/>: every element either
    /// zero or <c>raw · s</c> rounded to the copy's type, for one scale <c>s = 1/(1−p) &gt; 1</c>.
    /// </summary>
    /// <remarks>
    /// PyTorch computes <c>input · (mask · s)</c> (CPU: <c>noise.div_(1−p)</c>; CUDA fused dropout: <c>src · (1/(1−p))</c>
    /// in the accumulate type, then rounded to the tensor type for half precision): one scale, one rounded product per
    /// element. Each kept element c therefore pins s to an interval: <c>|c − r·s| ≤ ½ ULP(c)</c> when the product was
    /// rounded to nearest from the exact scale, <c>≤ 1 ULP(c)</c> when the scale or the product went through another
    /// rounding (float32 vs double scale, double rounding through float32 for float16). The check intersects these
    /// intervals over all elements in one streaming pass: a non-empty ½-ULP intersection is an exact match, a non-empty
    /// 1-ULP intersection is accepted as rounding, anything else is refused. Nothing looser is accepted, and the scale
    /// must exceed 1 (p in (0, 1)).
    /// </remarks>
    public static DropoutMaskResult CheckDropoutMask(TensorInfo raw, TensorInfo copy)
    {
        if (!raw.Shape.SequenceEqual(copy.Shape)) throw new ArgumentException("shapes differ");
        long total = raw.ElementCount;
        var fr = new float[TensorChunkReader.ChunkElements];
        var fc = new float[TensorChunkReader.ChunkElements];
        DType dt = copy.DType;
        double loExact = double.NegativeInfinity, hiExact = double.PositiveInfinity;
        double loTol = 1, hiTol = double.PositiveInfinity; // s > 1 for p in (0, 1)
        long dropped = 0, kept = 0, nonFinite = 0;
        double ratio = double.NaN;
        float bestAbs = 0;
        // A sample of per-element ratios: their median (in double) is the scale estimate used to locate the elements
        // that do not fit when the check fails. Robust to a few corrupted elements, precise to well under 1 ULP.
        const int SampleSize = 4097;
        var sample = new List<double>(SampleSize);

        var rr = new TensorChunkReader(raw);
        var rc = new TensorChunkReader(copy);
        while (rr.Remaining > 0)
        {
            int n = rr.ReadFloat32(fr);
            rc.ReadFloat32(fc.AsSpan(0, n));
            for (int i = 0; i < n; i++)
            {
                float r = fr[i], c = fc[i];
                if (c == 0)
                {
                    if (r != 0) dropped++;
                    continue;
                }
                kept++;
                if (!float.IsFinite(r) || !float.IsFinite(c) || r == 0)
                {
                    nonFinite++;
                    continue;
                }
                double u = Ulp(c, dt);
                Narrow((c - u / 2) / r, (c + u / 2) / r, ref loExact, ref hiExact);
                Narrow((c - u) / r, (c + u) / r, ref loTol, ref hiTol);
                float abs = Math.Abs(r);
                if (abs > bestAbs) { bestAbs = abs; ratio = (double)c / r; }
                if (sample.Count < SampleSize) sample.Add((double)c / r);
            }
        }

        if (kept == 0 || double.IsNaN(ratio))
            return Fail("no element is both non-zero in the copy and non-zero in the raw matrix, so no dropout scale can be derived");
        if (ratio <= 1)
            return Fail($"the values are raw × {ratio:G9}, not a dropout scale 1/(1−p) > 1 for p in (0, 1)");
        if (nonFinite == 0 && loTol <= hiTol)
        {
            bool exact = Math.Max(loExact, loTol) <= Math.Min(hiExact, hiTol);
            double lo = exact ? Math.Max(loExact, loTol) : loTol, hi = exact ? Math.Min(hiExact, hiTol) : hiTol;
            float s = (float)((lo + hi) / 2);
            if (s < lo || s > hi) s = (float)lo;
            return new DropoutMaskResult(true, exact, s, 1 - 1 / (double)s, dropped, kept, total, 0, -1, [], 0, 0, null);
        }

        // Refused: count and locate the elements that the median scale does not explain within 1 ULP.
        sample.Sort();
        double est = sample[sample.Count / 2];
        long unexplained = 0, first = -1;
        float firstRaw = 0, firstCopy = 0;
        rr = new TensorChunkReader(raw);
        rc = new TensorChunkReader(copy);
        long start = 0;
        while (rr.Remaining > 0)
        {
            int n = rr.ReadFloat32(fr);
            rc.ReadFloat32(fc.AsSpan(0, n));
            for (int i = 0; i < n; i++)
            {
                float r = fr[i], c = fc[i];
                if (c == 0) continue;
                if (float.IsFinite(r) && float.IsFinite(c) && Math.Abs(c - r * est) <= Ulp(c, dt)) continue;
                unexplained++;
                if (first < 0) { first = start + i; firstRaw = r; firstCopy = c; }
            }
            start += n;
        }
        double pEst = 1 - 1 / est;
        return new DropoutMaskResult(false, false, (float)est, pEst, dropped, kept, total, unexplained, first,
            first < 0 ? [] : Unravel(first, raw.Shape), firstRaw, firstCopy,
            unexplained > 0
                ? $"{unexplained:N0} of {total:N0} elements are neither 0 nor raw × {est:G9} (p ≈ {pEst:G6}) within 1 ULP"
                : "no single dropout scale explains every element within 1 ULP");

        DropoutMaskResult Fail(string reason) =>
            new(false, false, float.NaN, double.NaN, dropped, kept, total, total, -1, [], 0, 0, reason);
    }

    private static void Narrow(double a, double b, ref double lo, ref double hi)
    {
        if (a > b) (a, b) = (b, a);
        if (a > lo) lo = a;
        if (b < hi) hi = b;
    }

    /// <summary>
    /// Counts the elements that change when cast to <paramref name="target"/> and back (bitwise; NaN stays NaN counts as kept).
    /// </summary>
    public static ValueDifference CastRoundTrip(TensorInfo tensor, DType target)
    {
        var reader = new TensorChunkReader(tensor);
        int es = tensor.DType.ElementSize();
        var raw = new byte[TensorChunkReader.ChunkElements * es];
        var values = new double[TensorChunkReader.ChunkElements];
        var f = new float[TensorChunkReader.ChunkElements];
        var casted = new byte[TensorChunkReader.ChunkElements * target.ElementSize()];
        var back = new float[TensorChunkReader.ChunkElements];
        long changed = 0, first = -1, start = 0;
        double maxAbs = 0;
        float firstA = 0, firstB = 0;
        while (reader.Remaining > 0)
        {
            int n = reader.ReadBytes(raw);
            var bytes = raw.AsSpan(0, n * es);
            // float64 sources lose precision on the way to float32 already; compare in double for them.
            if (tensor.DType == DType.Float64)
                for (int i = 0; i < n; i++) values[i] = System.Buffers.Binary.BinaryPrimitives.ReadDoubleLittleEndian(bytes[(i * 8)..]);
            ElementConversion.ToFloat32(tensor.DType, bytes, f.AsSpan(0, n));
            if (tensor.DType != DType.Float64) for (int i = 0; i < n; i++) values[i] = f[i];
            var c = casted.AsSpan(0, n * target.ElementSize());
            ElementConversion.FromFloat32(f.AsSpan(0, n), target, c);
            ElementConversion.ToFloat32(target, c, back.AsSpan(0, n));
            for (int i = 0; i < n; i++)
            {
                double v = values[i], w = back[i];
                bool same = tensor.DType == DType.Float64
                    ? v.Equals(w)
                    : BitConverter.SingleToInt32Bits(f[i]) == BitConverter.SingleToInt32Bits(back[i]) || (float.IsNaN(f[i]) && float.IsNaN(back[i]));
                if (same) continue;
                changed++;
                double d = Math.Abs(v - w);
                if (double.IsNaN(d)) d = double.PositiveInfinity;
                if (d > maxAbs) maxAbs = d;
                if (first < 0) { first = start + i; firstA = (float)v; firstB = back[i]; }
            }
            start += n;
        }
        return new ValueDifference(changed, tensor.ElementCount, maxAbs, first, first < 0 ? [] : Unravel(first, tensor.Shape), firstA, firstB);
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
