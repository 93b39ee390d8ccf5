using WeightPort.Tensors;

namespace WeightPort.Fastai;

/// <summary>Recognises WeightDropout's derived copy of a recurrent matrix as a dropout-masked version of the raw one.</summary>
internal static class DropoutMaskCheck
{
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
    public static DropoutMaskResult Check(TensorInfo raw, TensorInfo copy)
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
                double u = TensorComparison.Ulp(c, dt);
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
                if (float.IsFinite(r) && float.IsFinite(c) && Math.Abs(c - r * est) <= TensorComparison.Ulp(c, dt)) continue;
                unexplained++;
                if (first < 0) { first = start + i; firstRaw = r; firstCopy = c; }
            }
            start += n;
        }
        double pEst = 1 - 1 / est;
        return new DropoutMaskResult(false, false, (float)est, pEst, dropped, kept, total, unexplained, first,
            first < 0 ? [] : TensorComparison.Unravel(first, raw.Shape), firstRaw, firstCopy,
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

}
