using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using WeightPort.Model;

namespace WeightPort.Compute.Cpu;

/// <summary>
/// The CPU backend: float32 weights used in place, matrix products on OpenBLAS or on the managed SIMD kernels
/// (<see cref="CpuBlas"/>), with identical semantics either way.
/// </summary>
public sealed class CpuBackend : ComputeBackend
{
    private readonly ISgemm _gemm;

    private CpuBackend(ISgemm gemm, CpuBlas blas)
    {
        _gemm = gemm;
        Blas = blas;
    }

    /// <summary>
    /// Creates a backend. <see cref="CpuBlas.Auto"/> picks the managed kernels on CPUs with AVX-512 (32 vector
    /// registers), else OpenBLAS when it loads, else the managed kernels.
    /// </summary>
    /// <exception cref="DllNotFoundException"><see cref="CpuBlas.OpenBlas"/> was asked for and no OpenBLAS with CBLAS entry points loads.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="blas"/> is not a defined value.</exception>
    public static CpuBackend Create(CpuBlas blas = CpuBlas.Auto) => blas switch
    {
        CpuBlas.Managed => new CpuBackend(ManagedSgemm.Instance, CpuBlas.Managed),
        CpuBlas.OpenBlas => new CpuBackend(
            OpenBlasSgemm.Instance ?? throw new DllNotFoundException("OpenBLAS (libopenblas.so.0 with cblas_sgemm and cblas_sgemv) could not be loaded"),
            CpuBlas.OpenBlas),
        CpuBlas.Auto => !ManagedPreferred && OpenBlasSgemm.Instance is { } openBlas
            ? new CpuBackend(openBlas, CpuBlas.OpenBlas)
            : new CpuBackend(ManagedSgemm.Instance, CpuBlas.Managed),
        _ => throw new ArgumentOutOfRangeException(nameof(blas), blas, "unknown CpuBlas value"),
    };

    /// <summary>
    /// The managed 4×4 kernel keeps 16 accumulators and 8 operands in registers, which needs the 32 vector registers
    /// of AVX-512 (without them it spills). With them it matched or beat OpenBLAS 0.3.21 at every WT103 shape
    /// measured (it packs nothing, so the per-timestep products at small batch gain most).
    /// </summary>
    private static bool ManagedPreferred => Avx512F.IsSupported && Fma.IsSupported && Vector256.IsHardwareAccelerated;

    /// <summary>True when OpenBLAS can be loaded on this machine.</summary>
    public static bool IsOpenBlasAvailable => OpenBlasSgemm.Instance is not null;

    /// <summary>The implementation in use: <see cref="CpuBlas.OpenBlas"/> or <see cref="CpuBlas.Managed"/>, never <see cref="CpuBlas.Auto"/>.</summary>
    public CpuBlas Blas { get; }

    /// <inheritdoc />
    public override string Name => "cpu";

    /// <inheritdoc />
    public override string Description => "CPU float32, " + _gemm.Description;

    /// <inheritdoc />
    internal override LanguageModelEngine CreateEngine(AwdLstmWeights weights) => new CpuLanguageModelEngine(weights, _gemm);
}
