using System.Numerics.Tensors;

namespace WeightPort.Model;

/// <summary>
/// fastai's PoolingLinearClassifier layers in eval mode: per block BatchNorm1d with running statistics (as PyTorch's
/// CPU kernel: <c>x·α + β</c> with <c>α = w/√(var+ε)</c>, <c>β = b − mean·α</c>), Linear, ReLU except after the last block.
/// </summary>
internal sealed class ClassifierHead
{
    private readonly IReadOnlyList<ClassifierBlockWeights> _blocks;
    private readonly float[][] _alpha;
    private readonly float[][] _beta;
    // The head is small (a few hundred KB for fastai's default sizes), so its Linear weights are copied: the classifier
    // then never reads memory-mapped weights after construction and outlives the file they came from, as the pinned
    // encoder weights do.
    private readonly float[][] _linearWeight;
    private readonly float[]?[] _linearBias;

    /// <summary>Folds each block's BatchNorm into a scale and shift and copies the Linear weights; the weights are already validated.</summary>
    public ClassifierHead(IReadOnlyList<ClassifierBlockWeights> blocks)
    {
        _blocks = blocks;
        _alpha = new float[blocks.Count][];
        _beta = new float[blocks.Count][];
        _linearWeight = new float[blocks.Count][];
        _linearBias = new float[blocks.Count][];
        for (int k = 0; k < blocks.Count; k++)
        {
            ClassifierBlockWeights b = blocks[k];
            int width = b.InFeatures;
            var alpha = new float[width];
            var beta = new float[width];
            ReadOnlySpan<float> w = b.BnWeight.Span, bias = b.BnBias.Span, mean = b.RunningMean.Span, var = b.RunningVar.Span;
            for (int j = 0; j < width; j++)
            {
                float invStd = 1f / MathF.Sqrt(var[j] + b.BnEpsilon);
                alpha[j] = w[j] * invStd;
                beta[j] = bias[j] - mean[j] * alpha[j];
            }
            _alpha[k] = alpha;
            _beta[k] = beta;
            _linearWeight[k] = b.LinearWeight.ToArray();
            _linearBias[k] = b.LinearBias?.ToArray();
        }
        OutFeatures = blocks[^1].OutFeatures;
    }

    public int OutFeatures { get; }

    public void Apply(ReadOnlySpan<float> features, Span<float> logits)
    {
        float[] x = features.ToArray();
        for (int k = 0; k < _blocks.Count; k++)
        {
            ClassifierBlockWeights b = _blocks[k];
            TensorPrimitives.MultiplyAdd(x, _alpha[k], _beta[k], x);
            var y = new float[b.OutFeatures];
            float[] w = _linearWeight[k];
            float[]? bias = _linearBias[k];
            for (int o = 0; o < y.Length; o++)
                y[o] = TensorPrimitives.Dot(w.AsSpan(o * b.InFeatures, b.InFeatures), x) + (bias is null ? 0f : bias[o]);
            if (k < _blocks.Count - 1) TensorPrimitives.Max(y, 0f, y);
            x = y;
        }
        x.CopyTo(logits);
    }
}
