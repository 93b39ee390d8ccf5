namespace WeightPort.Compute.Cuda;

/// <summary>How <see cref="CudaBackend"/> runs its matrix products.</summary>
internal sealed record CudaOptions
{
    /// <summary>
    /// Lets cuBLAS use TF32 tensor cores for float32 GEMMs (<c>CUBLAS_TF32_TENSOR_OP_MATH</c>): several times faster on
    /// Ampere and later, but products keep only 10 mantissa bits of their inputs, so outputs drift from PyTorch by about
    /// 1e-3 relative. Off by default (<c>CUBLAS_DEFAULT_MATH</c>, full float32), which is what verification needs.
    /// </summary>
    public bool AllowTf32 { get; init; }

    /// <summary>
    /// Uses <c>CUBLAS_PEDANTIC_MATH</c> instead of <c>CUBLAS_DEFAULT_MATH</c>: strictly the prescribed precision, no
    /// reduced-precision reductions. Slower; for bisecting numerical differences. Ignored when <see cref="AllowTf32"/>.
    /// </summary>
    public bool Pedantic { get; init; }
}
