namespace WeightPort.Compute.Cuda;

/// <summary>
/// A CUDA driver, cuBLAS or NVRTC call failed while CUDA itself is present (out of memory, a launch failure, a kernel
/// that does not compile). <see cref="Function"/> names the call and <see cref="ErrorName"/> its status.
/// </summary>
public sealed class CudaException : Exception
{
    /// <summary>Creates the exception for a failed call.</summary>
    public CudaException(string function, int status, string errorName, string? detail = null)
        : base($"{function} failed: {errorName} ({status})" + (string.IsNullOrEmpty(detail) ? "" : ": " + detail))
    {
        Function = function;
        Status = status;
        ErrorName = errorName;
    }

    /// <summary>The native function that failed, e.g. <c>cuMemAlloc_v2</c>, <c>cublasSgemm_v2</c>.</summary>
    public string Function { get; }

    /// <summary>The numeric status it returned (<c>CUresult</c>, <c>cublasStatus_t</c> or <c>nvrtcResult</c>).</summary>
    public int Status { get; }

    /// <summary>The status's symbolic name, e.g. <c>CUDA_ERROR_OUT_OF_MEMORY</c>.</summary>
    public string ErrorName { get; }
}
