using TorchSharp.Modules;

namespace WeightPort.TorchSharp.Training;

/// <summary>
/// A model's parameters split into layer groups, as fastai's splitters do (<c>awd_lstm_lm_split</c>,
/// <c>awd_lstm_clas_split</c>), with fastai's <c>freeze_to</c>: the groups before the cut stop receiving gradients.
/// </summary>
public sealed class LayerGroups
{
    /// <summary>Wraps <paramref name="groups"/>, first group first.</summary>
    /// <exception cref="ArgumentException">No groups, or a group without parameters.</exception>
    public LayerGroups(IReadOnlyList<IReadOnlyList<Parameter>> groups)
    {
        ArgumentNullException.ThrowIfNull(groups);
        if (groups.Count == 0 || groups.Any(g => g.Count == 0)) throw new ArgumentException("every layer group needs at least one parameter", nameof(groups));
        Groups = groups;
    }

    /// <summary>The groups, first (lowest layer) first.</summary>
    public IReadOnlyList<IReadOnlyList<Parameter>> Groups { get; }

    /// <summary>Number of groups.</summary>
    public int Count => Groups.Count;

    /// <summary>
    /// fastai's <c>freeze_to(n)</c>: groups before index <paramref name="n"/> are frozen, the rest trained; a negative
    /// n counts from the end (<c>freeze_to(-2)</c> trains the last two groups).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The cut lies outside the groups.</exception>
    public void FreezeTo(int n)
    {
        int cut = n >= 0 ? n : Count + n;
        if (cut < 0 || cut > Count) throw new ArgumentOutOfRangeException(nameof(n), n, $"there are {Count} layer groups");
        for (int g = 0; g < Count; g++)
            foreach (var p in Groups[g]) p.requires_grad = g >= cut;
    }

    /// <summary>fastai's <c>freeze()</c>: only the last group trains.</summary>
    public void Freeze() => FreezeTo(-1);

    /// <summary>fastai's <c>unfreeze()</c>: every group trains.</summary>
    public void Unfreeze() => FreezeTo(0);

    /// <summary>
    /// Discriminative learning rates as fastai spreads <c>slice(lowest, highest)</c> over the groups: geometrically even
    /// from <paramref name="lowest"/> (first group) to <paramref name="highest"/> (last group).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A rate is not positive.</exception>
    public double[] Slice(double lowest, double highest)
    {
        if (lowest <= 0 || highest <= 0) throw new ArgumentOutOfRangeException(nameof(lowest), "learning rates must be positive");
        var rates = new double[Count];
        for (int g = 0; g < Count; g++)
            rates[g] = Count == 1 ? highest : lowest * Math.Pow(highest / lowest, g / (double)(Count - 1));
        return rates;
    }

    /// <summary>ULMFiT's discriminative rates: the last group gets <paramref name="highest"/>, each group below it that divided by <paramref name="factor"/> (the paper's 2.6).</summary>
    public double[] Discriminative(double highest, double factor = 2.6)
    {
        var rates = new double[Count];
        for (int g = 0; g < Count; g++) rates[g] = highest / Math.Pow(factor, Count - 1 - g);
        return rates;
    }
}
