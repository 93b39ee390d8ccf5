namespace WeightPort.Tensors;

/// <summary>
/// The one element-by-element comparison behind every check of two tensors: the redundancy checks (bitwise), the
/// weights of a converted file against its source (bitwise) and model outputs against a reference (a tolerance).
/// Values arrive in order, in any number of chunks.
/// </summary>
internal sealed class ElementComparison(Tolerance tolerance)
{
    private double _dot, _normA, _normB;
    private bool _nonFiniteMismatch, _skippedIdentical;

    public long Elements { get; private set; }
    public long Differing { get; private set; }
    public long Violations { get; private set; }
    public double MaxAbs { get; private set; }
    public double MaxRel { get; private set; }
    public long WorstIndex { get; private set; }
    public long FirstDifferingIndex { get; private set; } = -1;
    public float FirstA { get; private set; }
    public float FirstB { get; private set; }

    /// <summary>The cosine similarity so far (1 for two all-zero tensors, 0 when only one is).</summary>
    /// <exception cref="InvalidOperationException">Identical chunks were counted with <see cref="AddIdentical"/>.</exception>
    public double Cosine => _skippedIdentical
        ? throw new InvalidOperationException("the cosine is not tracked once identical chunks were only counted")
        : _normA == 0 && _normB == 0 ? 1.0 : _normA == 0 || _normB == 0 ? 0.0 : _dot / Math.Sqrt(_normA * _normB);

    /// <summary>Whether every element passed the tolerance's element rule (non-finite values only where both sides have the same one).</summary>
    public bool ElementsPass => Violations == 0 && !_nonFiniteMismatch;

    /// <summary>Compares two float32 chunks element by element; bit patterns decide what differs.</summary>
    public void Add(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        for (int i = 0; i < a.Length; i++)
            Add(a[i], b[i], BitConverter.SingleToInt32Bits(a[i]) != BitConverter.SingleToInt32Bits(b[i]));
    }

    /// <summary>
    /// Counts <paramref name="count"/> elements whose two sides the caller found bitwise identical: nothing can differ
    /// or violate a tolerance there. The cosine's sums skip them, so <see cref="Cosine"/> is refused afterwards.
    /// </summary>
    public void AddIdentical(int count)
    {
        Elements += count;
        _skippedIdentical = true;
    }

    /// <summary>Adds one float32 pair; <paramref name="differs"/> says whether their stored bits differ (the caller may know better than float32 bits).</summary>
    public void Add(float a, float b, bool differs) =>
        // Subtract in float32, as PyTorch's (a - b).abs() does, so the numbers match a Python check.
        Record(a, b, MathF.Abs(a - b), differs);

    /// <summary>Adds one float64 pair (a float64 tensor against its cast), subtracting in double.</summary>
    public void Add(double a, double b, bool differs) => Record(a, b, Math.Abs(a - b), differs);

    private void Record(double a, double b, double d, bool differs)
    {
        long index = Elements++;
        if (differs && Differing++ == 0)
        {
            FirstDifferingIndex = index;
            FirstA = (float)a;
            FirstB = (float)b;
        }
        if (!double.IsFinite(a) || !double.IsFinite(b))
        {
            // NaN and ∞ pass only where both sides have the very same non-finite value.
            if (!a.Equals(b))
            {
                _nonFiniteMismatch = true;
                Violations++;
                if (MaxAbs < double.PositiveInfinity) WorstIndex = index;
                MaxAbs = double.PositiveInfinity;
            }
            return;
        }
        if (d > MaxAbs)
        {
            MaxAbs = d;
            WorstIndex = index;
        }
        double absB = Math.Abs(b);
        if (absB > tolerance.Absolute) MaxRel = Math.Max(MaxRel, d / absB);
        if (d > tolerance.Absolute + tolerance.Relative * absB) Violations++;
        _dot += a * b;
        _normA += a * a;
        _normB += b * b;
    }
}
