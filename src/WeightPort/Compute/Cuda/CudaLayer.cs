namespace WeightPort.Compute.Cuda;

/// <summary>
/// One LSTM layer on the device, both directions side by side so that one GEMM (input projection) and one strided
/// batched GEMM plus one kernel (each timestep) cover them:
/// <c>WeightIh</c> [directions·4·hidden, input] (the directions' matrices stacked), <c>WeightHh</c> [directions, 4·hidden, hidden],
/// <c>BiasIh</c>/<c>BiasHh</c> [directions, 4·hidden], state <c>H</c>/<c>C</c> [directions, batch, hidden].
/// </summary>
internal sealed class CudaLayer
{
    /// <summary>Input width.</summary>
    public required int Input { get; init; }

    /// <summary>Hidden width per direction.</summary>
    public required int Hidden { get; init; }

    /// <summary>Device address of the stacked input weights.</summary>
    public required ulong WeightIh { get; init; }

    /// <summary>Device address of the recurrent weights.</summary>
    public required ulong WeightHh { get; init; }

    /// <summary>Device address of the input biases.</summary>
    public required ulong BiasIh { get; init; }

    /// <summary>Device address of the recurrent biases.</summary>
    public required ulong BiasHh { get; init; }

    /// <summary>Device address of the hidden state, 0 until the first call.</summary>
    public ulong H { get; set; }

    /// <summary>Device address of the cell state, 0 until the first call.</summary>
    public ulong C { get; set; }
}
