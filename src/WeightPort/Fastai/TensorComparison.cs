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
                double d = Math.Abs((double)fa[i] - fb[i]);
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
    /// zero or <c>raw · s</c>, with one float32 scale <c>s = 1/(1−p)</c>, p in (0, 1).
    /// </summary>
    /// <remarks>
    /// PyTorch computes <c>input · (mask · s)</c> (CPU: <c>noise.div_(1−p)</c>; CUDA fused dropout: <c>src · (1/(1−p))</c>
    /// in the accumulate type), i.e. one float32 scale and one rounded product per element, rounded again to the
    /// tensor's type for half precision. The scale is estimated from the kept element with the largest |raw| (relative
    /// error ≤ 2⁻²⁴), then the float32 values within ±2 ULP of the estimate are tried: one of them reproducing every
    /// kept element bit for bit is an exact match. Other implementations round the scale or the product in double
    /// instead; that moves each product by at most 1 ULP of the result, so as a fallback we accept |copy − raw·s| ≤ 1 ULP
    /// of the copy's type for one candidate. Nothing looser is accepted.
    /// </remarks>
    public static DropoutMaskResult CheckDropoutMask(TensorInfo raw, TensorInfo copy)
    {
        if (!raw.Shape.SequenceEqual(copy.Shape)) throw new ArgumentException("shapes differ");
        long total = raw.ElementCount;
        var fr = new float[TensorChunkReader.ChunkElements];
        var fc = new float[TensorChunkReader.ChunkElements];

        // Pass 1: the scale estimate.
        double ratio = double.NaN;
        float bestAbs = 0;
        var rr = new TensorChunkReader(raw);
        var rc = new TensorChunkReader(copy);
        while (rr.Remaining > 0)
        {
            int n = rr.ReadFloat32(fr);
            rc.ReadFloat32(fc.AsSpan(0, n));
            for (int i = 0; i < n; i++)
            {
                float r = fr[i], c = fc[i];
                if (c == 0 || r == 0 || !float.IsFinite(r) || !float.IsFinite(c)) continue;
                float abs = Math.Abs(r);
                if (abs > bestAbs) { bestAbs = abs; ratio = (double)c / r; }
            }
        }
        if (double.IsNaN(ratio))
            return Fail("no element is both non-zero in the copy and non-zero in the raw matrix, so no dropout scale can be derived");
        if (!(ratio > 1) || double.IsInfinity(ratio))
            return Fail($"the values are raw × {ratio:G9}, not a dropout scale 1/(1−p) > 1 for p in (0, 1)");

        float s0 = (float)ratio;
        float[] candidates = [MathF.BitDecrement(MathF.BitDecrement(s0)), MathF.BitDecrement(s0), s0, MathF.BitIncrement(s0), MathF.BitIncrement(MathF.BitIncrement(s0))];
        var exact = new bool[candidates.Length];
        var withinUlp = new bool[candidates.Length];
        Array.Fill(exact, true);
        Array.Fill(withinUlp, true);
        long dropped = 0, kept = 0, unexplained = 0, first = -1;
        float firstRaw = 0, firstCopy = 0;
        DType dt = copy.DType;

        // Pass 2: every element against every candidate scale.
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
                if (c == 0)
                {
                    if (r != 0) dropped++;
                    continue;
                }
                kept++;
                bool any = false;
                double ulp = Ulp(c, dt);
                for (int k = 0; k < candidates.Length; k++)
                {
                    float expected = RoundTo(r * candidates[k], dt);
                    bool e = BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(c);
                    bool u = e || Math.Abs((double)c - (double)r * candidates[k]) <= ulp;
                    exact[k] &= e;
                    withinUlp[k] &= u;
                    any |= u;
                }
                if (!any)
                {
                    unexplained++;
                    if (first < 0) { first = start + i; firstRaw = r; firstCopy = c; }
                }
            }
            start += n;
        }

        int chosen = Array.IndexOf(exact, true);
        bool isExact = chosen >= 0;
        if (chosen < 0) chosen = Array.IndexOf(withinUlp, true);
        if (chosen >= 0)
        {
            float s = candidates[chosen];
            return new DropoutMaskResult(true, isExact, s, 1 - 1 / (double)s, dropped, kept, total, 0, -1, [], 0, 0, null);
        }
        return new DropoutMaskResult(false, false, s0, 1 - 1 / (double)s0, dropped, kept, total, unexplained, first,
            first < 0 ? [] : Unravel(first, raw.Shape), firstRaw, firstCopy,
            unexplained > 0
                ? $"{unexplained:N0} of {total:N0} elements are neither 0 nor raw × {s0:G9} (p ≈ {1 - 1 / (double)s0:G6}) within 1 ULP"
                : "no single dropout scale explains every element");

        DropoutMaskResult Fail(string reason) =>
            new(false, false, float.NaN, double.NaN, 0, 0, total, total, -1, [], 0, 0, reason);
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
