namespace WeightPort.Model;

/// <summary>
/// One block of fastai's PoolingLinearClassifier in eval mode: BatchNorm1d with running statistics, then Linear
/// (bias present in fastai v1, absent in v2), then ReLU except after the last block.
/// </summary>
internal sealed record ClassifierBlockWeights(
    int InFeatures, int OutFeatures,
    ReadOnlyMemory<float> BnWeight, ReadOnlyMemory<float> BnBias, ReadOnlyMemory<float> RunningMean, ReadOnlyMemory<float> RunningVar,
    ReadOnlyMemory<float> LinearWeight, ReadOnlyMemory<float>? LinearBias, float BnEpsilon = 1e-5f);
