namespace WeightPort.Model;

/// <summary>
/// One direction of one LSTM layer, row-major float32, gate rows stacked i, f, g, o as in PyTorch.
/// <c>WeightIh</c> is [4·hidden, input], <c>WeightHh</c> [4·hidden, hidden], biases [4·hidden].
/// </summary>
internal sealed record LstmDirectionWeights(ReadOnlyMemory<float> WeightIh, ReadOnlyMemory<float> WeightHh, ReadOnlyMemory<float> BiasIh, ReadOnlyMemory<float> BiasHh);
