namespace WeightPort.Model;

/// <summary>
/// Where the AWD-LSTM forward pass runs: <c>CpuBackend</c> or <c>CudaBackend</c> (namespace <c>WeightPort.Compute</c>).
/// A backend turns weights into an engine that keeps them (on the device, for CUDA) for the model's lifetime; dispose
/// the backend after the models built on it.
/// </summary>
public abstract class ComputeBackend : IDisposable
{
    // Only this assembly's backends derive: an engine's contract is internal.
    private protected ComputeBackend()
    {
    }

    /// <summary>Short name: <c>cpu</c>, <c>cuda</c>.</summary>
    public abstract string Name { get; }

    /// <summary>What exactly runs: the matrix-product library in use, the GPU model and driver.</summary>
    public abstract string Description { get; }

    /// <summary>Uploads or wraps <paramref name="weights"/> and returns an engine with a zero hidden state.</summary>
    /// <exception cref="ArgumentException">The weights break <see cref="AwdLstmWeights.Validate"/>.</exception>
    internal abstract LanguageModelEngine CreateEngine(AwdLstmWeights weights);

    /// <summary>Releases what the backend holds (a CUDA context); engines own their weights.</summary>
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases the backend's resources.</summary>
    /// <param name="disposing">True when called from <see cref="Dispose()"/>.</param>
    protected virtual void Dispose(bool disposing)
    {
    }
}
