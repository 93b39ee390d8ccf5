namespace WeightPort.TorchSharp.Training;

/// <summary>
/// fastai's <c>fit_one_cycle</c> schedule: the learning rate rises by a cosine from max/<c>div</c> to max over the
/// first <c>pct_start</c> of the steps, then falls by a cosine to max/<c>div_final</c>; the momentum (Adam's β₁) does
/// the opposite, 0.95 → 0.85 → 0.95.
/// </summary>
public sealed class OneCycleSchedule
{
    /// <summary>Creates the schedule over <paramref name="totalSteps"/> optimizer steps.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A non-positive step count or divisor, or pct_start outside (0, 1).</exception>
    public OneCycleSchedule(int totalSteps, double pctStart = 0.25, double divFactor = 25, double finalDivFactor = 1e5,
        double maxMomentum = 0.95, double minMomentum = 0.85)
    {
        if (totalSteps <= 0) throw new ArgumentOutOfRangeException(nameof(totalSteps), totalSteps, "needs at least one step");
        if (pctStart is <= 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(pctStart), pctStart, "pct_start must be in (0, 1)");
        if (divFactor <= 0 || finalDivFactor <= 0) throw new ArgumentOutOfRangeException(nameof(divFactor), "divisors must be positive");
        TotalSteps = totalSteps;
        PctStart = pctStart;
        DivFactor = divFactor;
        FinalDivFactor = finalDivFactor;
        MaxMomentum = maxMomentum;
        MinMomentum = minMomentum;
    }

    /// <summary>Steps in the cycle.</summary>
    public int TotalSteps { get; }
    /// <summary>Share of the steps spent warming up.</summary>
    public double PctStart { get; }
    /// <summary>Start at max/DivFactor.</summary>
    public double DivFactor { get; }
    /// <summary>End at max/FinalDivFactor.</summary>
    public double FinalDivFactor { get; }
    /// <summary>Momentum at the ends.</summary>
    public double MaxMomentum { get; }
    /// <summary>Momentum at the peak learning rate.</summary>
    public double MinMomentum { get; }

    /// <summary>The learning rate at <paramref name="step"/> (0-based) as a fraction of the maximum.</summary>
    public double LearningRateFactor(int step)
    {
        var (phase, pos) = Position(step);
        return phase == 0 ? Cos(1 / DivFactor, 1, pos) : Cos(1, 1 / FinalDivFactor, pos);
    }

    /// <summary>Adam's β₁ at <paramref name="step"/>.</summary>
    public double Momentum(int step)
    {
        var (phase, pos) = Position(step);
        return phase == 0 ? Cos(MaxMomentum, MinMomentum, pos) : Cos(MinMomentum, MaxMomentum, pos);
    }

    private (int Phase, double Position) Position(int step)
    {
        double pct = Math.Clamp(step / (double)TotalSteps, 0, 1);
        return pct < PctStart ? (0, pct / PctStart) : (1, (pct - PctStart) / (1 - PctStart));
    }

    // fastai's SchedCos: start + (1 + cos(π(1 − pos)))·(end − start)/2.
    private static double Cos(double start, double end, double pos) => start + (1 + Math.Cos(Math.PI * (1 - pos))) * (end - start) / 2;
}
