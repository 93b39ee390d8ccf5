namespace WeightPort.Bench;

/// <summary>
/// What <see cref="CudaBenchmark.Run"/> measured. "Wall" is host time around the engine call (uploads, kernels,
/// the download of the outputs into managed memory); "compute" is the device time between CUDA events around the
/// kernels and GEMMs only, the number comparable with a PyTorch benchmark timed by CUDA events that leaves its
/// outputs on the GPU.
/// </summary>
/// <param name="Batch">Rows per call.</param>
/// <param name="Seq">Timesteps per call.</param>
/// <param name="Iterations">Timed calls (after the warm-up).</param>
/// <param name="WithDecoder">Whether each call also decoded to logits.</param>
/// <param name="MedianWallMs">Median host time of one call.</param>
/// <param name="MedianComputeMs">Median device compute time of one call.</param>
/// <param name="SingleTokenMedianMs">Median host time of a stateful 1 × 1 encode (+ decode) call.</param>
/// <param name="SingleTokenP90Ms">Its 90th percentile.</param>
internal sealed record CudaBenchmarkResult(
    int Batch, int Seq, int Iterations, bool WithDecoder,
    double MedianWallMs, double MedianComputeMs, double SingleTokenMedianMs, double SingleTokenP90Ms)
{
    /// <summary>Tokens per second by wall time: batch · seq / median wall.</summary>
    public double TokensPerSecond => Batch * (double)Seq / (MedianWallMs / 1000);

    /// <summary>Tokens per second by device compute time.</summary>
    public double ComputeTokensPerSecond => Batch * (double)Seq / (MedianComputeMs / 1000);
}
