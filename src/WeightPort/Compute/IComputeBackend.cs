using WeightPort.Model;

namespace WeightPort.Compute;

/// <summary>
/// A place the AWD-LSTM forward pass can run (the CPU, a CUDA device). A backend turns weights into an engine that
/// keeps them — on the device for CUDA — for the model's lifetime.
/// </summary>
public interface IComputeBackend : IDisposable
{
    /// <summary>Short name: <c>cpu</c>, <c>cuda</c>.</summary>
    string Name { get; }

    /// <summary>What exactly runs: the BLAS in use, the GPU model and driver.</summary>
    string Description { get; }

    /// <summary>Uploads or wraps <paramref name="weights"/> and returns an engine with a zero hidden state.</summary>
    ILanguageModelEngine CreateEngine(AwdLstmWeights weights);
}
