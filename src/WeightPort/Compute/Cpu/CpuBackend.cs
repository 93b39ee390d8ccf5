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
    /// registers), else OpenBLAS when it loads, else the managed kernels. <paramref name="weights"/> is how engines
    /// store the weights: <see cref="CpuWeightPrecision.Auto"/> keeps them in float16 when that is exact (bitwise the
    /// float32 results, half the memory traffic), <see cref="CpuWeightPrecision.Float32"/> forces float32.
    /// </summary>
    /// <exception cref="DllNotFoundException"><see cref="CpuBlas.OpenBlas"/> was asked for and no OpenBLAS with CBLAS entry points loads.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An argument is not a defined value.</exception>
    /// <exception cref="ArgumentException">float16 or bfloat16 weights with OpenBLAS, which multiplies float32 only.</exception>
    public static CpuBackend Create(CpuBlas blas = CpuBlas.Auto, CpuWeightPrecision weights = CpuWeightPrecision.Auto)
    {
        if (weights is < CpuWeightPrecision.Auto or > CpuWeightPrecision.BFloat16)
            throw new ArgumentOutOfRangeException(nameof(weights), weights, "unknown CpuWeightPrecision value");
        CpuBackend backend = WithBlas(blas);
        if (weights is CpuWeightPrecision.Float16 or CpuWeightPrecision.BFloat16 && backend.Blas == CpuBlas.OpenBlas)
            throw new ArgumentException($"{weights} weights need the managed kernels; OpenBLAS multiplies float32 only", nameof(weights));
        backend.WeightPrecision = weights;
        return backend;
    }

    private static CpuBackend WithBlas(CpuBlas blas) => blas switch
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
    /// The managed kernels need the 32 vector registers of AVX-512 for their 16 accumulators (without them the
    /// Vector256 fallback spills). With them they beat OpenBLAS 0.3.21 at every WT103 shape measured (see
    /// bench/results), and only they can multiply float16 weights.
    /// </summary>
    private static bool ManagedPreferred => Avx512F.IsSupported && Fma.IsSupported && Vector256.IsHardwareAccelerated;

    /// <summary>
    /// How engines built on this backend store their weights; <see cref="CpuWeightPrecision.Auto"/> unless
    /// <see cref="Create"/> was told otherwise. The engine's choice (and why) is in <c>AwdLstm.WeightStorage</c>.
    /// </summary>
    public CpuWeightPrecision WeightPrecision { get; private set; }

    /// <summary>True when OpenBLAS can be loaded on this machine.</summary>
    public static bool IsOpenBlasAvailable => OpenBlasSgemm.Instance is not null;

    /// <summary>The implementation in use: <see cref="CpuBlas.OpenBlas"/> or <see cref="CpuBlas.Managed"/>, never <see cref="CpuBlas.Auto"/>.</summary>
    public CpuBlas Blas { get; }

    /// <inheritdoc />
    public override string Name => "cpu";

    /// <inheritdoc />
    public override string Description => "CPU float32 arithmetic, " + _gemm.Description;

    /// <inheritdoc />
    internal override LanguageModelEngine CreateEngine(AwdLstmWeights weights) => new CpuLanguageModelEngine(weights, _gemm, WeightPrecision);
}
