using TorchSharp;
using TorchSharp.Modules;
using WeightPort.TorchSharp.Modules;
using static TorchSharp.torch;

namespace WeightPort.TorchSharp.Training;

/// <summary>
/// fastai's default optimizer for ULMFiT: Adam with decoupled ("true") weight decay, one learning rate per
/// <see cref="LayerGroups"/> group (discriminative fine-tuning), β₁ set per step by the schedule, β₂ 0.99, ε 1e-5,
/// and no weight decay on biases and BatchNorm parameters (fastai's <c>wd_bn_bias=False</c>). Frozen parameters
/// (<c>requires_grad</c> false) are skipped entirely: no decay, no moment updates.
/// </summary>
public sealed class UlmfitAdamW : IDisposable
{
    private readonly LayerGroups _groups;
    private readonly Dictionary<Parameter, (Tensor Avg, Tensor Sq, int Step)> _state = [];
    private double[] _rates;

    /// <summary>Creates the optimizer over <paramref name="groups"/>.</summary>
    /// <param name="groups">The layer groups.</param>
    /// <param name="weightDecay">Decoupled weight decay (fastai: 0.01).</param>
    /// <param name="beta2">Second-moment decay (fastai: 0.99).</param>
    /// <param name="eps">ε (fastai: 1e-5).</param>
    public UlmfitAdamW(LayerGroups groups, double weightDecay = 0.01, double beta2 = 0.99, double eps = 1e-5)
    {
        ArgumentNullException.ThrowIfNull(groups);
        _groups = groups;
        WeightDecay = weightDecay;
        Beta2 = beta2;
        Eps = eps;
        _rates = [.. Enumerable.Repeat(1e-3, groups.Count)];
    }

    /// <summary>Decoupled weight decay.</summary>
    public double WeightDecay { get; }
    /// <summary>Second-moment decay.</summary>
    public double Beta2 { get; }
    /// <summary>ε.</summary>
    public double Eps { get; }
    /// <summary>First-moment decay, usually set by <see cref="OneCycleSchedule.Momentum"/>.</summary>
    public double Beta1 { get; set; } = 0.9;

    /// <summary>The learning rate of each group.</summary>
    public IReadOnlyList<double> LearningRates => _rates;

    /// <summary>Sets one learning rate per group.</summary>
    /// <exception cref="ArgumentException">Not one rate per group.</exception>
    public void SetLearningRates(IReadOnlyList<double> rates)
    {
        ArgumentNullException.ThrowIfNull(rates);
        if (rates.Count != _groups.Count) throw new ArgumentException($"{rates.Count} rates for {_groups.Count} groups", nameof(rates));
        _rates = [.. rates];
    }

    /// <summary>Clears the gradients of every parameter.</summary>
    public void ZeroGrad()
    {
        foreach (var group in _groups.Groups)
            foreach (var p in group)
                if (p.grad is { } g) g.zero_();
    }

    /// <summary>One optimizer step over the trainable parameters.</summary>
    public void Step()
    {
        using var _ = no_grad();
        for (int gi = 0; gi < _groups.Count; gi++)
        {
            double lr = _rates[gi];
            foreach (var p in _groups.Groups[gi])
            {
                if (!p.requires_grad || p.grad is not { } grad) continue;
                // Moments outlive the caller's dispose scope.
                if (!_state.TryGetValue(p, out var s)) s = (zeros_like(p).DetachFromDisposeScope(), zeros_like(p).DetachFromDisposeScope(), 0);
                s.Step++;
                // Every number is a Scalar held until the call returns (see Modules/Scalars).
                using Scalar decay = (1 - lr * WeightDecay).ToScalar(), beta1 = Beta1.ToScalar(), beta2 = Beta2.ToScalar();
                using Scalar oneMinusBeta1 = (1 - Beta1).ToScalar(), oneMinusBeta2 = (1 - Beta2).ToScalar(), eps = Eps.ToScalar();
                using Scalar debias2 = (1 - Math.Pow(Beta2, s.Step)).ToScalar(), step = (-lr / (1 - Math.Pow(Beta1, s.Step))).ToScalar();
                if (WeightDecay != 0 && p.dim() >= 2) p.mul_(decay);
                s.Avg.mul_(beta1).add_(grad, oneMinusBeta1);
                s.Sq.mul_(beta2).addcmul_(grad, grad, oneMinusBeta2);
                using var denom = s.Sq.div(debias2).sqrt_().add_(eps, Scalars.One);
                p.addcdiv_(s.Avg, denom, step);
                _state[p] = s;
            }
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var (avg, sq, _) in _state.Values)
        {
            avg.Dispose();
            sq.Dispose();
        }
        _state.Clear();
    }
}
