namespace WeightPort.Compute.Cuda;

/// <summary>
/// CUDA cannot be used on this machine: a native library (the driver's <c>libcuda.so.1</c>, cuBLAS, NVRTC) is missing,
/// no device is present, or the driver is too old. The message names the library and every place searched. Distinct
/// from <see cref="CheckpointFormatException"/>: nothing is wrong with the input file.
/// </summary>
public sealed class CudaUnavailableException : Exception
{
    /// <summary>Creates the exception with a message that says what is missing and where it was looked for.</summary>
    public CudaUnavailableException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception with a short summary for one-line reports ("no CUDA driver found") beside the full message.</summary>
    internal CudaUnavailableException(string summary, string message) : base(message)
    {
        Summary = summary;
    }

    /// <summary>What is missing in a few words, for a one-line report; the message has the details (every place searched).</summary>
    internal string? Summary { get; }

    /// <summary>Creates the exception wrapping the failure that made CUDA unusable.</summary>
    public CudaUnavailableException(string message, Exception inner) : base(message, inner)
    {
    }
}
