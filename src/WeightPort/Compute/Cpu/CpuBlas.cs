namespace WeightPort.Compute.Cpu;

/// <summary>Which matrix-multiply implementation the CPU backend uses.</summary>
public enum CpuBlas
{
    /// <summary>The managed kernels on CPUs with AVX-512, else OpenBLAS when <c>libopenblas</c> loads, else the managed kernels.</summary>
    Auto,
    /// <summary>OpenBLAS (<c>cblas_sgemm</c>/<c>cblas_sgemv</c>) through a runtime-loaded native library; fails when it is absent.</summary>
    OpenBlas,
    /// <summary>The managed SIMD kernels (Vector512 on CPUs with AVX-512, else Vector256), on all cores; no native dependency.</summary>
    Managed,
}
