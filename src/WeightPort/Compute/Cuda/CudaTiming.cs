namespace WeightPort.Compute.Cuda;

/// <summary>
/// Device-side times of one engine call, measured with CUDA events on the engine's stream (milliseconds). Host work
/// (argument checks, pinning) is not included.
/// </summary>
/// <param name="UploadMs">Copying the inputs host → device.</param>
/// <param name="ComputeMs">The kernels and GEMMs.</param>
/// <param name="DownloadMs">Copying the result device → host.</param>
internal readonly record struct CudaTiming(double UploadMs, double ComputeMs, double DownloadMs)
{
    /// <summary>Upload + compute + download.</summary>
    public double TotalMs => UploadMs + ComputeMs + DownloadMs;
}
