namespace WeightPort.Verification;

/// <summary>Compares a model output with a reference under a <see cref="Tolerance"/>.</summary>
public static class OutputComparer
{
    /// <summary>
    /// Compares <paramref name="actual"/> with <paramref name="expected"/> (same length). When <paramref name="rowLength"/>
    /// is given, the arrays are rows of that many classes and the top-1 agreement is computed per row.
    /// </summary>
    /// <exception cref="ArgumentException">The lengths differ or do not divide into rows.</exception>
    public static ComparisonResult Compare(string name, ReadOnlySpan<float> actual, ReadOnlySpan<float> expected, Tolerance tolerance, int? rowLength = null)
    {
        if (actual.Length != expected.Length)
            throw new ArgumentException($"{name}: {actual.Length} values against a reference of {expected.Length}");
        if (rowLength is int rl && (rl <= 0 || actual.Length % rl != 0))
            throw new ArgumentException($"{name}: {actual.Length} values do not split into rows of {rl}");
        double maxAbs = 0, maxRel = 0, dot = 0, na = 0, nb = 0;
        long violations = 0, worst = 0;
        bool nonFinite = false;
        for (int i = 0; i < actual.Length; i++)
        {
            double a = actual[i], b = expected[i];
            if (!double.IsFinite(a) || !double.IsFinite(b))
            {
                // NaN/∞ pass only where both sides have the very same non-finite value.
                if (!(a.Equals(b))) { nonFinite = true; violations++; }
                continue;
            }
            double d = Math.Abs(a - b);
            if (d > maxAbs) { maxAbs = d; worst = i; }
            if (Math.Abs(b) > tolerance.Absolute) maxRel = Math.Max(maxRel, d / Math.Abs(b));
            if (d > tolerance.Absolute + tolerance.Relative * Math.Abs(b)) violations++;
            dot += a * b;
            na += a * a;
            nb += b * b;
        }
        double cosine = na == 0 && nb == 0 ? 1.0 : na == 0 || nb == 0 ? 0.0 : dot / Math.Sqrt(na * nb);
        double? top1 = rowLength is int r ? Top1(actual, expected, r) : null;
        bool passed = !nonFinite && violations == 0 && cosine >= tolerance.MinCosine && (top1 is null || top1 >= tolerance.MinTop1Agreement);
        return new ComparisonResult(name, actual.Length, maxAbs, maxRel, cosine, top1, violations, worst, passed);
    }

    private static double Top1(ReadOnlySpan<float> actual, ReadOnlySpan<float> expected, int rowLength)
    {
        int rows = actual.Length / rowLength;
        if (rows == 0) return 1.0;
        int agree = 0;
        for (int r = 0; r < rows; r++)
        {
            var a = actual.Slice(r * rowLength, rowLength);
            var b = expected.Slice(r * rowLength, rowLength);
            if (ArgMax(a) == ArgMax(b)) agree++;
        }
        return (double)agree / rows;
    }

    private static int ArgMax(ReadOnlySpan<float> v)
    {
        int best = 0;
        for (int i = 1; i < v.Length; i++) if (v[i] > v[best]) best = i;
        return best;
    }
}
