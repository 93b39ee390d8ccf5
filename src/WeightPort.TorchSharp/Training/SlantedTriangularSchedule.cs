namespace WeightPort.TorchSharp.Training;

/// <summary>
/// The ULMFiT paper's slanted triangular learning rate (§3.2): a linear rise over the first <c>cut_frac</c> of the
/// steps, then a linear decay; the lowest rate is the maximum divided by <c>ratio</c>.
/// </summary>
public sealed class SlantedTriangularSchedule
{
    /// <summary>Creates the schedule over <paramref name="totalSteps"/> optimizer steps.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A non-positive step count or ratio, or cut_frac outside (0, 1).</exception>
    public SlantedTriangularSchedule(int totalSteps, double cutFrac = 0.1, double ratio = 32)
    {
        if (totalSteps <= 0) throw new ArgumentOutOfRangeException(nameof(totalSteps), totalSteps, "needs at least one step");
        if (cutFrac is <= 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(cutFrac), cutFrac, "cut_frac must be in (0, 1)");
        if (ratio < 1) throw new ArgumentOutOfRangeException(nameof(ratio), ratio, "ratio must be at least 1");
        TotalSteps = totalSteps;
        CutFrac = cutFrac;
        Ratio = ratio;
    }

    /// <summary>Steps in the schedule.</summary>
    public int TotalSteps { get; }
    /// <summary>Share of the steps spent rising.</summary>
    public double CutFrac { get; }
    /// <summary>Maximum over minimum rate.</summary>
    public double Ratio { get; }

    /// <summary>The learning rate at <paramref name="step"/> (0-based) as a fraction of the maximum.</summary>
    public double LearningRateFactor(int step)
    {
        double cut = Math.Max(1, Math.Floor(TotalSteps * CutFrac));
        double t = Math.Clamp(step, 0, TotalSteps);
        double p = t < cut ? t / cut : 1 - (t - cut) / (cut * (1 / CutFrac - 1));
        return (1 + Math.Max(p, 0) * (Ratio - 1)) / Ratio;
    }
}
